#!/usr/bin/env bash
# mca-loop.sh - cycles per iteration of a kernel's inner loop on the boards' cores, from
# llvm-mca's Cortex-A72 (Pi 4) and Cortex-A76 (Pi 5; stand-in for the Orin's A78AE) models.
#
#   tools/arm-evidence/mca-loop.sh [options] FILE SYMBOL
#       SYMBOL: the exact (mangled) name, or a piece of one demangled C++ name, e.g.
#       'gemm_neon_dotprod' (when several functions match, they are listed)
#   tools/arm-evidence/mca-loop.sh [options] FILE 0xSTART:0xEND     (a stripped library)
#
# FILE is an aarch64 object, static archive (.a), shared library or executable. The symbol's
# code is disassembled with llvm-objdump; its loops are found from the backward branches
# (b / b.cond / cbz / cbnz / tbz / tbnz whose target is at or before the branch and inside
# the code): loop = [target, branch]. All loops are listed (nesting depth, address range,
# instruction count, sdot/smlal/fmla count). The measured body is, by default, the innermost
# loop (one that contains no other loop) with the most multiply-accumulate instructions
# (sdot, smlal, smull, sadalp, mla, fmla), then the largest; --loop N picks loop N of the list.
#
# The body is given to llvm-mca as a straight-line block (branches are kept as ordinary
# instructions, their targets rewritten to a label): llvm-mca repeats it -iterations times
# and the script prints Total Cycles / iterations = cycles per iteration, for each CPU.
#
# A loop that contains other loops (e.g. XNNPACK's qb4w kernels: an outer loop over the
# blocks of 32 K with the scale multiply-add, around an inner loop over 8 K) is measured as a
# trace: the outer body with each inner loop's body written out --trip times (the inner
# loop's trip count per outer iteration, e.g. 4 for 32 K / 8 K per inner iteration), so one
# iteration of the trace is one iteration of the outer loop, inner iterations included.
#
# Options:
#   --cpu LIST        comma-separated llvm-mca CPUs (default cortex-a72,cortex-a76,neoverse-n1).
#                     A CPU that lacks an instruction of the body (sdot on cortex-a72) is
#                     reported as n/a. Note: LLVM 19 gives cortex-a76 (and a72, a78) the
#                     Cortex-A57 scheduling model; neoverse-n1, the A76's server sibling, has a
#                     model of its own (two 128-bit SIMD pipes), so it is printed beside it.
#   --iterations N    llvm-mca -iterations (default 100)
#   --loop N          measure loop N of the printed list (default: the largest innermost loop)
#   --enclosing E     measure the loop E levels out from the chosen one (e.g. 1: the loop over
#                     the blocks of 32 K around the hot loop over 8 K)
#   --trip T          with a loop that contains loops: write each inner body T times
#                     (T may be a comma list, one per inner loop in address order)
#   --meaning TEXT    what one iteration is, e.g. "1 block of 32 K x 16 columns"; printed
#   --weight-bytes B  weight bytes one iteration reads: also prints cycles per weight byte
#                     and the bandwidth one core needs at the board clock to keep up
#   --macs M          multiply-accumulates one iteration does: also prints MACs per cycle
#   --show            print the measured body (default on), --no-show to hide it
#   --mca-out DIR     keep the full llvm-mca reports in DIR (one file per CPU)
#   --match-in LIB    also look for the symbol's code bytes in LIB (e.g. the stripped
#                     libXNNPACK.so) and print the address where they occur: a byte-identical
#                     copy proves the library runs this very code
#
# Needs llvm-objdump, llvm-mca, llvm-objcopy (Debian's `llvm`) and python3. Outside the build
# root (no llvm-mca on PATH), the script re-runs itself inside it through
# toolchains/trixie-root.sh, so FILE must then be under the repository, /work/shared or a
# system path of the root (/usr/lib/aarch64-linux-gnu/...), not /tmp.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# Debian 13's llvm (19) is the reference: outside a trixie system, run inside the build root.
in_trixie() { case "$(cat /etc/debian_version 2>/dev/null)" in 13*|trixie*) return 0;; esac; return 1; }
if ! in_trixie && [ -z "${LINNET_AE_IN_ROOT:-}" ] && [ -x "$repo/toolchains/trixie-root.sh" ]; then
  export LINNET_AE_IN_ROOT=1
  case "$PWD/" in "$repo"/*) ;; *) cd "$repo" ;; esac   # the root sees the repository, not /tmp
  exec toolchains/trixie-root.sh run bash -c \
    'command -v llvm-mca >/dev/null || apt-get install -y --no-install-recommends llvm >/dev/null; exec "$0" "$@"' \
    "$here/$(basename "${BASH_SOURCE[0]}")" "$@"
fi
command -v llvm-mca >/dev/null 2>&1 || { echo "$(basename "$0"): llvm-mca not found (apt-get install llvm)" >&2; exit 1; }
export AE_SCRIPT="$here/mca-loop.sh"
exec python3 - "$@" <<'PY'
import os, re, subprocess, sys, tempfile

args = sys.argv[1:]
opt = dict(cpu="cortex-a72,cortex-a76,neoverse-n1", iterations="100", loop=None, trip=None, meaning=None,
           weight_bytes=None, macs=None, show=True, mca_out=None, match_in=None, enclosing="0")
pos = []
i = 0
while i < len(args):
    a = args[i]
    if a in ("-h", "--help"):
        for line in open(os.environ["AE_SCRIPT"]).read().splitlines()[1:]:
            if not line.startswith("#"):
                break
            print(line[2:])
        sys.exit(0)
    if a == "--show": opt["show"] = True; i += 1; continue
    if a == "--no-show": opt["show"] = False; i += 1; continue
    if a.startswith("--"):
        key = a[2:].replace("-", "_")
        if key not in opt or i + 1 >= len(args):
            sys.exit(f"mca-loop.sh: unknown option or missing value: {a}")
        opt[key] = args[i + 1]; i += 2; continue
    pos.append(a); i += 1
if len(pos) != 2:
    sys.exit("usage: mca-loop.sh [options] FILE SYMBOL|0xSTART:0xEND  (see the script's header)")
path, what = pos

def run(cmd):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

# ---- disassemble -------------------------------------------------------------------------
m = re.fullmatch(r"(0x[0-9a-fA-F]+):(0x[0-9a-fA-F]+)", what)
if m:
    cmd = ["llvm-objdump", "-d", "--no-show-raw-insn", f"--start-address={m.group(1)}",
           f"--stop-address={m.group(2)}", path]
    label = what
else:
    # SYMBOL: an exact (mangled) name, else a piece of a demangled name (C++ kernels, e.g.
    # "gemm_q4t_neon_dotprod"): must match one defined function, or the candidates are listed.
    mangled = run(["llvm-nm", "--defined-only", "--print-size", path]).stdout.splitlines()
    names = [l.split()[-1] for l in mangled if len(l.split()) == 4 and l.split()[2].lower() == "t"]
    if what not in names:
        demangled = subprocess.run(["llvm-cxxfilt"], input="\n".join(names), stdout=subprocess.PIPE,
                                   text=True).stdout.splitlines()
        cands = sorted({n for n, d in zip(names, demangled) if what in d})
        if len(cands) != 1:
            msg = "no function" if not cands else f"{len(cands)} functions"
            listing = "\n".join("  " + d for n, d in zip(names, demangled) if n in cands)
            sys.exit(f"mca-loop.sh: {msg} in {path} match '{what}'" + (f":\n{listing}" if cands else ""))
        print(f"symbol: '{what}' -> {cands[0]}")
        what = cands[0]
    cmd = ["llvm-objdump", "-d", "--no-show-raw-insn", f"--disassemble-symbols={what}", path]
    label = pos[1]
r = run(cmd)
insns = []   # (addr, text)
for line in r.stdout.splitlines():
    mm = re.match(r"^\s*([0-9a-f]+):\s+(\S.*)$", line)
    if not mm:
        continue
    text = mm.group(2).strip()
    insns.append((int(mm.group(1), 16), text))
if not insns:
    sys.exit(f"mca-loop.sh: no code found for {what} in {path}\n{r.stderr[-2000:]}")
lo, hi = insns[0][0], insns[-1][0]

BR = re.compile(r"^(b|b\.\w+|cbz|cbnz|tbz|tbnz)\s+(.*)$")
def target_of(text):
    mm = BR.match(text)
    if not mm:
        return None
    ops = mm.group(2)
    t = re.search(r"(?:^|,\s*)0x([0-9a-f]+)(?:\s*<[^>]*>)?\s*$", ops)
    return int(t.group(1), 16) if t else None

loops = []
for addr, text in insns:
    t = target_of(text)
    if t is not None and lo <= t <= addr:
        loops.append((t, addr))
loops = sorted(set(loops), key=lambda l: (l[0], -l[1]))
if not loops:
    sys.exit(f"mca-loop.sh: no backward branch (loop) in {what}")

def inside(a, b):  # loop a strictly inside loop b
    return a != b and b[0] <= a[0] and a[1] <= b[1]
def body(l):
    return [(a, t) for a, t in insns if l[0] <= a <= l[1]]
def count(l, pat):
    return sum(1 for _, t in body(l) if re.match(pat, t))
MAC = r"(sdot|udot|smmla|smlal2?|smull2?|sadalp|mla|fmla)\s"
depth = {l: sum(1 for o in loops if inside(l, o)) for l in loops}
innermost = [l for l in loops if not any(inside(o, l) for o in loops)]

print(f"== {label}  ({os.path.basename(path)})")
print("loops (backward branches):")
for n, l in enumerate(loops):
    tag = " innermost" if l in innermost else ""
    print(f"  [{n}] depth {depth[l]} 0x{l[0]:x}-0x{l[1]:x}: {len(body(l))} insns, "
          "sdot %d, smlal/smull %d, fmla %d, loads %d%s" % (
              count(l, r"sdot|udot"), count(l, r"sml[au]l2?\s|smull2?\s"), count(l, r"fmla"),
              count(l, r"ld[1-4rp]?\w*\s"), tag))

if opt["loop"] is not None:
    chosen = loops[int(opt["loop"])]
else:
    # the hot loop: the innermost loop with the most multiply-accumulates, then the largest
    chosen = max(innermost, key=lambda l: (count(l, MAC), len(body(l)), l[0]))
for _ in range(int(opt["enclosing"])):
    parents = [o for o in loops if inside(chosen, o)]
    if not parents:
        sys.exit("mca-loop.sh: --enclosing: no loop encloses 0x%x-0x%x" % chosen)
    chosen = min(parents, key=lambda o: o[1] - o[0])
children = [l for l in loops if inside(l, chosen) and not any(inside(l, o) and inside(o, chosen) for o in loops)]
children.sort()
trips = []
if children:
    if opt["trip"] is None:
        sys.exit(f"mca-loop.sh: loop 0x{chosen[0]:x}-0x{chosen[1]:x} contains {len(children)} loop(s): give --trip")
    trips = [int(x) for x in opt["trip"].split(",")]
    if len(trips) == 1:
        trips = trips * len(children)
    if len(trips) != len(children):
        sys.exit("mca-loop.sh: --trip needs one value, or one per inner loop")
    if any(any(inside(g, c) for g in loops) for c in children):
        sys.exit("mca-loop.sh: more than two levels of loops are not supported")

# trace: outer body with each inner loop's body repeated trip times
trace = []
skip_until = -1
for a, t in body(chosen):
    if a <= skip_until:
        continue
    c = next((c for c in children if c[0] == a), None)
    if c is not None:
        k = trips[children.index(c)]
        for rep in range(k):
            trace.extend(body(c))
        skip_until = c[1]
        continue
    trace.append((a, t))

def clean(t):
    t = re.sub(r"\s*//.*$", "", t)
    mm = BR.match(t)
    if mm:
        ops = re.sub(r"0x[0-9a-f]+(\s*<[^>]*>)?\s*$", ".Lloop", mm.group(2))
        t = f"{mm.group(1)} {ops}"
    t = re.sub(r"\s*<[^>]*>", "", t)
    return t
asm = [".Lloop:"] + ["  " + clean(t) for _, t in trace]

what_it_is = (f"loop [{loops.index(chosen)}] 0x{chosen[0]:x}-0x{chosen[1]:x}"
              + (f" with inner loop(s) x{','.join(map(str, trips))}" if children else ""))
print(f"measured: {what_it_is}, {len(trace)} instructions per iteration")
if opt["meaning"]:
    print(f"one iteration = {opt['meaning']}")
if opt["show"]:
    for a, t in trace:
        print(f"    {a:6x}: {clean(t)}")

if opt["match_in"]:
    if m:
        print("match-in: needs a symbol, not an address range")
    else:
        with tempfile.TemporaryDirectory() as d:
            # raw bytes of the symbol: from the disassembly with encodings
            rr = run(["llvm-objdump", "-d", f"--disassemble-symbols={what}", path])
            words = []
            for line in rr.stdout.splitlines():
                mm = re.match(r"^\s*[0-9a-f]+:\s+([0-9a-f]{8})\s+(\S+)", line)
                if mm:
                    if mm.group(2) in ("adrp", "bl", "b"):   # may be relocated in an object file: stop there
                        break
                    words.append(int(mm.group(1), 16).to_bytes(4, "little"))
            blob = b"".join(words)
            data = open(opt["match_in"], "rb").read()
            hits = [mm.start() for mm in re.finditer(re.escape(blob), data)] if blob else []
            # file offset -> virtual address through the section table
            sec = run(["llvm-readelf", "-S", "-W", opt["match_in"]]).stdout
            def vaddr(off):  # file offset -> virtual address, through the section headers
                for line in sec.splitlines():
                    mm = re.search(r"\]\s+(\S+)\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
                    if mm:
                        va, fo, sz = (int(mm.group(k), 16) for k in (2, 3, 4))
                        if fo <= off < fo + sz:
                            return va + off - fo
                return off
            print(f"match-in {os.path.basename(opt['match_in'])}: the first {len(blob)} bytes of {what} "
                  f"(up to its first relocated instruction) occur at "
                  + (", ".join(f"0x{vaddr(h):x}" for h in hits) if hits else "NOWHERE") )

# ---- llvm-mca ----------------------------------------------------------------------------
clock = {"cortex-a72": 1.8, "cortex-a76": 2.4, "cortex-a78": 1.7, "cortex-a78ae": 1.7}
results = []
with tempfile.TemporaryDirectory() as d:
    src = os.path.join(d, "body.s")
    with open(src, "w") as f:
        f.write("\n".join(asm) + "\n")
    for cpu in opt["cpu"].split(","):
        rr = run(["llvm-mca", "-mtriple=aarch64-linux-gnu", f"-mcpu={cpu}",
                  f"-iterations={opt['iterations']}", src])
        if rr.returncode != 0:
            why = rr.stderr.strip().splitlines()
            why = next((l for l in why if "error" in l), why[0] if why else "failed")
            results.append((cpu, None, None, why))
            continue
        if opt["mca_out"]:
            os.makedirs(opt["mca_out"], exist_ok=True)
            base = re.sub(r"[^A-Za-z0-9_.-]", "_", label)
            open(os.path.join(opt["mca_out"], f"{base}.{cpu}.mca.txt"), "w").write(rr.stdout)
        tot = int(re.search(r"Total Cycles:\s+(\d+)", rr.stdout).group(1))
        it = int(re.search(r"Iterations:\s+(\d+)", rr.stdout).group(1))
        rt = float(re.search(r"Block RThroughput:\s+([\d.]+)", rr.stdout).group(1))
        results.append((cpu, tot / it, rt, None))

print("llvm-mca, -iterations=%s:" % opt["iterations"])
for cpu, cyc, rt, err in results:
    if cyc is None:
        print(f"  {cpu:12s} n/a ({err})")
        continue
    line = f"  {cpu:12s} {cyc:7.2f} cycles/iteration (block rthroughput {rt:.2f})"
    if opt["weight_bytes"]:
        wb = float(opt["weight_bytes"])
        ghz = clock.get(cpu)
        line += f"; {wb:g} weight B/iter = {cyc / wb:.3f} cycles/B = {wb / cyc:.2f} B/cycle"
        if ghz:
            line += f" = {wb / cyc * ghz:.1f} GB/s per core at {ghz} GHz"
    if opt["macs"]:
        line += f"; {float(opt['macs']) / cyc:.1f} MAC/cycle"
    print(line)
# one machine-readable line per CPU for the other scripts:
# RESULT, label, cpu, cycles/iteration, weight bytes, meaning, instructions/iteration
for cpu, cyc, rt, err in results:
    print(f"RESULT\t{label}\t{cpu}\t{'' if cyc is None else f'{cyc:.2f}'}\t{opt['weight_bytes'] or ''}\t{opt['meaning'] or ''}\t{len(trace)}")
PY
