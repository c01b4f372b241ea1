#!/usr/bin/env bash
# mca-table.sh - the llvm-mca table of docs/benchmarks.md: runs mca-loop.sh on every kernel of
# one or more spec files and prints a markdown table, normalised so kernels of different
# tile shapes compare: cycles per 32 K x 16 columns per activation row, weight bytes consumed
# per cycle, and how that compares with what one core gets of the board's memory bandwidth.
#
#   tools/arm-evidence/mca-table.sh [--iterations N] [--log FILE] [--build-dir DIR] SPEC...
#   --build-dir DIR: read spec paths that start with build/ from DIR/ instead (another tree's
#   build, e.g. a worktree's)
#   tools/arm-evidence/mca-table.sh tools/arm-evidence/xnnpack-2024-11.spec
#
# SPEC lines (# comments): name | file | symbol | enclosing | trip | K/iter | columns/iter |
#   rows/iter | weight bytes/iter | cpus
#   file       object / archive / library (a path the build root sees); symbol: its function
#   enclosing, trip   passed to mca-loop.sh (--enclosing, --trip; "-" for none)
#   K/iter, columns/iter, rows/iter   the work of one measured iteration
#   weight bytes/iter                  packed weight bytes (with scales) one iteration reads
#   cpus       llvm-mca CPUs, e.g. cortex-a76,neoverse-n1 (dot product) or cortex-a72
# A file under libmicrokernels-prod.a is also matched byte for byte in libXNNPACK.so.
#
# Memory floor per core (decode, all cores streaming): board bandwidth_gbps / threads / clock
# from boards/*.board (clock: the upper figure of "@ x-y GHz" in the header comment). The
# cortex-a72 model is compared with the Pi 4; cortex-a76 and neoverse-n1 with the Pi 5 and the
# Orin (whose A78AE llvm has no model of its own: LLVM 19 gives cortex-a76 and cortex-a78 the
# Cortex-A57 scheduling model; neoverse-n1 is the A76's server sibling with its own model).
# "compute time / memory time" = the kernel's cycles per weight byte / the cycles per byte the
# board's bandwidth allows, with every core streaming its share (threads cores), and with one
# core alone drawing the whole bandwidth: <= 1 means the loop outruns memory (decode is
# bandwidth-bound); the issue's target, the dot-product GEMV within 10% of the memory floor
# at Pi 5 bandwidth, holds when the ratio is <= 1.10 (the time is then max(compute, memory)).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
iters=100; log=/dev/null; build_dir=
while [ $# -gt 0 ]; do
  case "$1" in
    --iterations) iters=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "usage: mca-table.sh [--iterations N] [--log FILE] SPEC..." >&2; exit 2; }
: >"$log"
trim() { local x=$1; x=${x#"${x%%[![:space:]]*}"}; x=${x%"${x##*[![:space:]]}"}; printf '%s' "$x"; }
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for spec in "$@"; do
  while IFS='|' read -r name file sym encl trip kpi cpi rpi wb cpus; do
    case "$name" in \#*|"") continue ;; esac
    name=$(trim "$name"); file=$(trim "$file"); sym=$(trim "$sym"); encl=$(trim "$encl")
    trip=$(trim "$trip"); kpi=$(trim "$kpi"); cpi=$(trim "$cpi"); rpi=$(trim "$rpi"); wb=$(trim "$wb")
    cpus=$(trim "$cpus")
    [ -n "$build_dir" ] && case "$file" in build/*) file=$build_dir/${file#build/} ;; esac
    args=(--no-show --iterations "$iters" --cpu "$cpus" --weight-bytes "$wb")
    [ "$encl" != "-" ] && [ "$encl" != "0" ] && args+=(--enclosing "$encl")
    [ "$trip" != "-" ] && args+=(--trip "$trip")
    case "$file" in */libmicrokernels-prod.a)
      args+=(--match-in "$(dirname "$file")/$(ls "$(dirname "$file")" 2>/dev/null | grep -m1 '^libXNNPACK\.so\.0\.' || echo libXNNPACK.so)") ;;
    esac
    out=$("$here/mca-loop.sh" "${args[@]}" "$file" "$sym" 2>&1) || { echo "$out" >&2; exit 1; }
    echo "$out" >>"$log"
    match=$(echo "$out" | sed -n 's/^match-in [^:]*: .* occur at \(.*\)$/\1/p')
    echo "$out" | awk -F'\t' -v n="$name" -v k="$kpi" -v c="$cpi" \
      -v r="$rpi" -v w="$wb" -v s="$sym" -v m="${match:--}" \
      '$1=="RESULT" {print n "\t" s "\t" $3 "\t" $4 "\t" k "\t" c "\t" r "\t" w "\t" m "\t" $7}' >>"$results"
  done <"$spec"
done
python3 - "$results" "$repo/boards" <<'PY'
import re, sys, glob, os
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
boards = {}
for f in glob.glob(os.path.join(sys.argv[2], "*.board")):
    t = open(f).read()
    kv = dict(re.findall(r"^(\w+)\s*=\s*(.*)$", t, re.M))
    m = re.search(r"@\s*([\d.]+)(?:-([\d.]+))?\s*GHz", t)
    if "bandwidth_gbps" in kv and m:
        ghz = float(m.group(2) or m.group(1))
        boards[os.path.basename(f)[:-6]] = (float(kv["bandwidth_gbps"]), int(kv["threads"]), ghz)
pairs = {"cortex-a72": ["rpi4"], "cortex-a76": ["rpi5", "jetson-orin"], "neoverse-n1": ["rpi5", "jetson-orin"]}
print("| kernel | llvm-mca cpu | cycles / iteration | iteration | instructions per 32 K x 16 col per row | cycles per 32 K x 16 col per row | MAC/cycle | weight B/cycle | compute time / memory time, GEMV (all cores streaming; one core alone) |")
print("|---|---|---|---|---|---|---|---|---|")
for name, sym, cpu, cyc, k, c, r, w, match, ins in rows:
    if not cyc:
        print(f"| {name} | {cpu} | n/a | | | | | | |"); continue
    cyc, k, c, r, w = float(cyc), int(k), int(c), int(r), float(w)
    norm = cyc * (32 / k) * (16 / c) / r
    insn = int(ins) * (32 / k) * (16 / c) / r
    macs = k * c * r / cyc
    bpc = w / cyc
    fl = []
    for b in pairs.get(cpu, []):
        if b in boards:
            bw, th, ghz = boards[b]
            need = bw / th / ghz          # bytes per cycle per core the memory delivers
            fl.append(f"{b}: {need / bpc:.2f} ({th} cores), {need * th / bpc:.2f} (1 core)")
    cell_floor = ", ".join(fl) if r == 1 else "prefill: compute-bound"
    print(f"| {name} | {cpu} | {cyc:.2f} | {k} K x {c} col x {r} row | {insn:.0f} | {norm:.1f} | {macs:.1f} | {bpc:.2f} | {cell_floor} |")
print()
print("symbols:")
seen = set()
for name, sym, cpu, cyc, k, c, r, w, match, ins in rows:
    if name in seen: continue
    seen.add(name)
    where = f" (the same bytes are in libXNNPACK.so at {match})" if match != "-" else ""
    print(f"  {name}: {sym}{where}")
PY
