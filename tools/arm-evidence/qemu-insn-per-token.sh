#!/usr/bin/env bash
# qemu-insn-per-token.sh - aarch64 instructions executed per prefill token and per decoded
# token, for one linear-layer backend on one board's CPU model, counted under qemu user mode
# by ../shared/tools/qemu-insn.sh (qemu built from Debian's source with TCG plugins; every
# completed guest instruction counts once, all threads summed).
#
#   tools/arm-evidence/qemu-insn-per-token.sh [options] BUNDLE
#   tools/arm-evidence/qemu-insn-per-token.sh --board rpi5 --backend xnnpack build/ae/m.linnet
#
# Method: `linnet run BUNDLE --prompt TEXT --max-tokens M --temperature 0 --threads 1 --stats`
# four times under qemu-insn, and differences so that every fixed cost (process start, bundle
# open, tokenizer, arena, thread pool, XNNPACK set-up, the warm-up of the packed-weight cache)
# cancels:
#   prefill/token = (insns(prompt P2, 1 token) - insns(prompt P1, 1 token)) / (P2 - P1 tokens)
#   decode/token  = (insns(prompt P1, M2 tokens) - insns(prompt P1, M1 tokens)) / (M2 - M1)
# The token counts used are the ones `--stats` reports (prompt tokens, generated tokens); a
# run that stopped before --max-tokens (end-of-turn sampled) is an error. Greedy decoding and
# ASLR off make the counts repeatable. Why not `linnet bench`: its decode length is fixed (64)
# and its bandwidth pass runs for a wall-clock time (at least 2 s), so its instruction count
# changes from run to run and does not cancel.
# The prefill figure is per token of a P1..P2-token prompt run as one micro-batch (the
# GEMM path, mr rows at a time); the decode figure is at a context of about P1 + M tokens.
# One run per count is enough: counts are deterministic (checked with --repeat 2).
#
# Options:
#   --board B       rpi4 | rpi5 | jetson-orin: the binary build/B/runtime/cli/linnet and the
#                   board's qemu_cpu (boards/B.board); default rpi5
#   --cpu CPU       qemu -cpu (default: the board's qemu_cpu)
#   --linnet PATH   the aarch64 linnet binary (default build/<board>/runtime/cli/linnet)
#   --backend X     xnnpack | linnet | reference: the linear layers' backend.
#                   xnnpack: `--linear xnnpack` when this linnet has the flag, else nothing
#                   (XNNPACK is today's default); linnet: `--linear linnet` (needs a linnet
#                   with the flag); reference: `--linear reference`, or `--no-xnnpack` in a
#                   linnet without --linear (the reference linear layers)
#   --flags "..."   extra linnet flags, appended as given (e.g. "--kv-cache int8")
#   --prefill P1,P2 prompt lengths in units of the filler text (default 32,96)
#   --decode M1,M2  generated tokens (default 4,12)
#   --context N     --context (default 512)
#   --repeat R      run each count R times and check they agree (default 1)
#   --keep DIR      keep each run's output and plugin log in DIR
# Environment: QEMU_INSN_CACHE (default <repo>/build/qemu-insn, where `qemu-insn.sh build` put
#   its qemu), LINNET_SHARED_DIR (default <repo>/../shared).
#
# Output: the four counts, then one line per figure and machine-readable lines
#   RESULT <tab> cpu <tab> backend <tab> prefill_insns_per_token <tab> decode_insns_per_token
# Runs inside the Debian 13 build root (toolchains/trixie-root.sh) when started outside it:
# then BUNDLE and --linnet must be under the repository or /work/shared, not /tmp.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
in_trixie() { case "$(cat /etc/debian_version 2>/dev/null)" in 13*|trixie*) return 0;; esac; return 1; }
if ! in_trixie && [ -z "${LINNET_AE_IN_ROOT:-}" ] && [ -x "$repo/toolchains/trixie-root.sh" ]; then
  export LINNET_AE_IN_ROOT=1
  case "$PWD/" in "$repo"/*) ;; *) cd "$repo" ;; esac
  exec toolchains/trixie-root.sh run "$here/$(basename "${BASH_SOURCE[0]}")" "$@"
fi

die() { echo "qemu-insn-per-token.sh: $*" >&2; exit 1; }
board=rpi5; cpu=; linnet=; backend=xnnpack; extra=; prefill=32,96; decode=4,12; context=512
repeat=1; keep=
while [ $# -gt 0 ]; do
  case "$1" in
    --board) board=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --linnet) linnet=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --flags) extra=$2; shift 2 ;;
    --prefill) prefill=$2; shift 2 ;;
    --decode) decode=$2; shift 2 ;;
    --context) context=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || die "usage: qemu-insn-per-token.sh [options] BUNDLE (see --help)"
bundle=$1
[ -f "$bundle" ] || die "no bundle $bundle"
boardfile=$repo/boards/$board.board
[ -f "$boardfile" ] || die "no board $board ($boardfile)"
[ -n "$cpu" ] || cpu=$(sed -n 's/^qemu_cpu *= *//p' "$boardfile")
[ -n "$linnet" ] || linnet=$repo/build/$board/runtime/cli/linnet
[ -x "$linnet" ] || die "no linnet binary at $linnet (build it: cmake --preset $board && cmake --build build/$board --target linnet)"
shared=${LINNET_SHARED_DIR:-$(cd "$repo/.." && pwd)/shared}
qi=$shared/tools/qemu-insn.sh
[ -x "$qi" ] || die "no $qi"
export QEMU_INSN_CACHE=${QEMU_INSN_CACHE:-$repo/build/qemu-insn}
IFS=, read -r p1 p2 <<<"$prefill"
IFS=, read -r m1 m2 <<<"$decode"

# Does this linnet have --linear? (usage text of `linnet run`, under Debian's plain qemu)
qemu_plain() { qemu-aarch64 -L / -cpu "$cpu" "$@"; }
usage_text=$(qemu_plain "$linnet" run 2>&1 || true)
has_linear=0; grep -q -- '--linear' <<<"$usage_text" && has_linear=1
case "$backend" in
  xnnpack) flags=(); [ $has_linear = 1 ] && flags=(--linear xnnpack) ;;
  linnet) [ $has_linear = 1 ] || die "this linnet ($linnet) has no --linear flag: build a tree with the Linnet kernels"
          flags=(--linear linnet) ;;
  reference) flags=(--no-xnnpack); [ $has_linear = 1 ] && flags=(--linear reference) ;;
  *) die "--backend: xnnpack, linnet or reference" ;;
esac
# shellcheck disable=SC2206
[ -n "$extra" ] && flags+=($extra)
# A packed-weight cache per CPU model and backend (XNNPACK packs differently with and without
# dot product); made by a warm-up run that is not counted, so every counted run maps it.
cache=$bundle.$cpu.$backend.xnnpack
cache_flags=(); [ "$backend" = xnnpack ] && cache_flags=(--packed-cache "$cache")

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
[ -n "$keep" ] && mkdir -p "$keep"
filler() { local n=$1 s=; for ((i = 0; i < n; i++)); do s+="! "; done; printf '%s' "${s% }"; }

# count PROMPT_UNITS MAX_TOKENS -> sets insns, ptok, gtok
count() {
  local units=$1 maxt=$2 r tag first=
  tag=p${units}_m${maxt}
  for ((r = 1; r <= repeat; r++)); do
    local out=$work/$tag.$r.out err=$work/$tag.$r.err
    "$qi" run --cpu "$cpu" --log "$work/$tag.$r.plugin" -- "$linnet" run "$bundle" \
      --prompt "$(filler "$units")" --max-tokens "$maxt" --temperature 0 --threads 1 \
      --context "$context" "${cache_flags[@]}" --stats "${flags[@]}" >"$out" 2>"$err" \
      || { tail -5 "$err" >&2; die "linnet run failed (prompt $units, --max-tokens $maxt)"; }
    insns=$(sed -n 's/^insns: //p' "$out" | tail -n 1)
    local st; st=$(grep -o '\[[0-9]* prompt tokens.*\]' "$err" | tail -n 1)
    ptok=$(sed -n 's/^\[\([0-9]*\) prompt tokens.*/\1/p' <<<"$st")
    gtok=$(sed -n 's/.*; \([0-9]*\) tokens in .*/\1/p' <<<"$st")
    local stop; stop=$(sed -n 's/.*stop: \([^]]*\)\]/\1/p' <<<"$st")
    [ -n "$insns" ] && [ -n "$ptok" ] && [ -n "$gtok" ] || die "could not read the counts of $tag (see $err)"
    [ "$gtok" = "$maxt" ] || die "run $tag generated $gtok tokens, not $maxt (stop: $stop): the greedy answer ended early; choose other --decode/--prefill"
    [ -n "$keep" ] && cp "$out" "$err" "$work/$tag.$r.plugin" "$keep/" 2>/dev/null || true
    if [ -z "$first" ]; then first=$insns
    elif [ "$insns" != "$first" ]; then echo "  note: $tag run $r counted $insns, run 1 $first (not deterministic)" >&2
    fi
  done
  insns=$first
  printf '  %-28s %14s insns  (%s prompt tokens, %s generated)\n' "prompt $units units, $maxt token(s)" "$insns" "$ptok" "$gtok"
}

echo "== $(basename "$bundle") on $cpu, backend $backend (linnet flags: ${flags[*]:-none}; linnet $linnet)"
echo "  warm-up (not counted)${cache_flags:+: packing the XNNPACK weights into $cache if needed}"
qemu_plain "$linnet" run "$bundle" --prompt "$(filler 2)" --max-tokens 1 --temperature 0 --threads 1 \
  --context "$context" "${cache_flags[@]}" "${flags[@]}" >/dev/null 2>"$work/warmup.err" \
  || { tail -5 "$work/warmup.err" >&2; die "warm-up run failed"; }

count "$p1" 1; a_i=$insns; a_p=$ptok
count "$p2" 1; b_i=$insns; b_p=$ptok
count "$p1" "$m1"; c_i=$insns; c_g=$gtok
count "$p1" "$m2"; d_i=$insns; d_g=$gtok
[ "$b_p" -gt "$a_p" ] || die "the two prompts have the same token count"
pre=$(( (b_i - a_i) / (b_p - a_p) ))
dec=$(( (d_i - c_i) / (d_g - c_g) ))
printf '  prefill: %s insns per token (prompt %s -> %s tokens)\n' "$pre" "$a_p" "$b_p"
printf '  decode:  %s insns per token (%s -> %s generated tokens after %s prompt tokens)\n' "$dec" "$c_g" "$d_g" "$a_p"
printf 'RESULT\t%s\t%s\t%s\t%s\t%s\n' "$cpu" "$backend" "$pre" "$dec" "$(basename "$bundle")"
