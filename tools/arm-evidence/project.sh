#!/usr/bin/env bash
# project.sh - projected decode and prefill tokens/s on the boards (boards/*.board) from the
# figures the other two scripts measure, by the method of docs/arm-evidence.md:
#
#   decode  tok/s = min( bandwidth / bytes per token ,  cores x clock x IPC / decode insns )
#   prefill tok/s =                                     cores x clock x IPC / prefill insns
#
# bandwidth and cores: bandwidth_gbps and threads of the board file; clock: the upper figure
# of "@ x-y GHz" in its header comment. Instructions per token: qemu-insn-per-token.sh on the
# board's qemu CPU (the Orin uses the cortex-a76 figures: qemu has no A78). IPC is not
# measured anywhere here (no board): give the figures to bracket it, e.g. the llvm-mca IPC of
# the hot loop (instructions per iteration / cycles per iteration, an upper bound for the
# whole token) and 1.0 (a pessimistic whole-program figure). Perfect scaling over the cores
# is assumed for compute (the row split of a GEMV has no shared writes; a real board loses
# some to synchronisation and to the non-parallel parts).
#
#   tools/arm-evidence/project.sh --bytes MIB --a72 DECODE,PREFILL --a76 DECODE,PREFILL \
#       [--ipc-a72 X,Y] [--ipc-a76 X,Y] [--label TEXT]
#   e.g. --bytes 564.1 --a72 1.6e8,1.2e8 --a76 1.1e8,0.9e8 --ipc-a72 2.0,1 --ipc-a76 2.3,1
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
exec python3 - "$repo/boards" "$@" <<'PY'
import glob, os, re, sys
boards_dir, args = sys.argv[1], sys.argv[2:]
o = {"bytes": None, "a72": None, "a76": None, "ipc_a72": "1", "ipc_a76": "1", "label": ""}
i = 0
while i < len(args):
    k = args[i].lstrip("-").replace("-", "_")
    if k in ("h", "help"):
        print("see the header of tools/arm-evidence/project.sh"); sys.exit(0)
    if k not in o or i + 1 >= len(args):
        sys.exit(f"project.sh: unknown option or missing value: {args[i]}")
    o[k] = args[i + 1]; i += 2
if not o["bytes"] or not (o["a72"] or o["a76"]):
    sys.exit("usage: project.sh --bytes MIB --a72 DECODE,PREFILL --a76 DECODE,PREFILL [--ipc-a72 X,..] [--ipc-a76 X,..]")
mib = float(o["bytes"]) * 1048576
boards = []
order = {"rpi4": 0, "rpi5": 1, "jetson-orin": 2}
for f in sorted(glob.glob(os.path.join(boards_dir, "*.board")),
                key=lambda f: (order.get(os.path.basename(f)[:-6], 9), f)):
    t = open(f).read()
    kv = dict(re.findall(r"^(\w+)\s*=\s*(.*)$", t, re.M))
    m = re.search(r"@\s*([\d.]+)(?:-([\d.]+))?\s*GHz", t)
    if "bandwidth_gbps" not in kv or not m or kv.get("cpu") in (None, "native"):
        continue
    ghz = float(m.group(2) or m.group(1))
    fam = "a72" if "a72" in kv["cpu"] else "a76"
    boards.append((os.path.basename(f)[:-6], kv["cpu"], float(kv["bandwidth_gbps"]), int(kv["threads"]), ghz, fam))
print(f"projection{': ' + o['label'] if o['label'] else ''} ({o['bytes']} MiB read per decoded token)")
print("| board | cores x GHz | bandwidth | decode, memory bound | IPC | decode, compute bound | decode projected | prefill, compute bound |")
print("|---|---|---|---|---|---|---|---|")
for name, cpu, bw, th, ghz, fam in boards:
    figs = o[fam]
    if not figs:
        continue
    dec, pre = (float(x) for x in figs.split(","))
    mem = bw * 1e9 / mib
    for ipc in (float(x) for x in o["ipc_" + fam].split(",")):
        comp = th * ghz * 1e9 * ipc / dec
        pf = th * ghz * 1e9 * ipc / pre
        print(f"| {name} ({cpu}) | {th} x {ghz:g} | {bw:g} GB/s | {mem:.1f} tok/s | {ipc:g} | {comp:.1f} tok/s | "
              f"{min(mem, comp):.1f} tok/s | {pf:.1f} tok/s |")
PY
