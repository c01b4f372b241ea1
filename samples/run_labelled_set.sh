#!/usr/bin/env bash
# Shared by samples/moderation/run.sh and samples/routing/run.sh: classify a labelled set
# of messages (one JSON request a line, with "expected") with `linnet classify --jsonl`,
# keep the policy's prefix state in a file, and print the mistakes and the accuracy.
#
#   run_labelled_set.sh NAME LABELS SYSTEM MESSAGES.jsonl
#
# Environment:
#   LINNET_BUNDLE       the model bundle to use (default: the reference model qwen35-tiny-a,
#                       converted on first use to $dir/demo/qwen35-tiny-a.$quant.linnet)
#   LINNET_BUILD_DIR    build root (default build; binaries come from $LINNET_BUILD_DIR/host,
#                       built if missing)
#   LINNET_SHARED_DIR   reference data (default <repo>/../shared)
#   LINNET_DEMO_QUANT   quantization of the converted reference model (default q8)
#   LINNET_THREADS      threads (default: the board's)
# Outside Debian trixie it re-runs itself inside the build root (toolchains/trixie-root.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
[ $# -eq 4 ] || { echo "usage: $0 NAME LABELS SYSTEM MESSAGES.jsonl" >&2; exit 2; }
name=$1 labels=$2 system=$3 messages=$4

if ! grep -qs '^VERSION_CODENAME=trixie' /etc/os-release && [ -z "${LINNET_SAMPLE_INNER:-}" ]; then
  "$repo/toolchains/trixie-root.sh" setup
  export LINNET_SAMPLE_INNER=1
  # Paths relative to the caller's folder, made absolute, and named as arguments so the
  # build root shows their folders (toolchains/trixie-root.sh run).
  paths=()
  for var in LINNET_BUNDLE LINNET_BUILD_DIR LINNET_SHARED_DIR; do
    if [ -n "${!var:-}" ]; then
      case "$var" in LINNET_BUILD_DIR) case "${!var}" in /*) ;; *) continue ;; esac ;; esac
      printf -v "$var" '%s' "$(realpath -m -- "${!var}")"
      export "${var?}"
      paths+=("$var=${!var}")
    fi
  done
  cd "$repo"
  exec "$repo/toolchains/trixie-root.sh" run env "${paths[@]}" "$here/run_labelled_set.sh" "$@"
fi

die() { echo "$name: $*" >&2; exit 1; }
cd "$repo"
shared=${LINNET_SHARED_DIR:-$(cd "$repo/.." && pwd)/shared}
dir=${LINNET_BUILD_DIR:-build}/host
quant=${LINNET_DEMO_QUANT:-q8}
linnet_bin=$dir/runtime/cli/linnet
convert_bin=$dir/converter/tool/linnet-convert

if [ ! -x "$linnet_bin" ] || { [ -z "${LINNET_BUNDLE:-}" ] && [ ! -x "$convert_bin" ]; }; then
  echo "== build (preset host, $dir)"
  mkdir -p "$dir"
  cmake --preset host -B "$dir" > "$dir/sample-configure.log" 2>&1 || die "configure failed ($dir/sample-configure.log)"
  cmake --build "$dir" -j "$(nproc)" --target linnet linnet-convert > "$dir/sample-build.log" 2>&1 ||
    die "build failed ($dir/sample-build.log)"
fi

bundle=${LINNET_BUNDLE:-$dir/demo/qwen35-tiny-a.$quant.linnet}
if [ ! -f "$bundle" ]; then
  [ -z "${LINNET_BUNDLE:-}" ] || die "no bundle at $bundle"
  model_dir=$shared/models/qwen35-tiny-a
  [ -f "$model_dir/config.json" ] || die "no reference checkpoint at $model_dir (set LINNET_SHARED_DIR)"
  mkdir -p "$(dirname "$bundle")"
  echo "== convert $model_dir -> $bundle ($quant)"
  "$convert_bin" "$model_dir" -o "$bundle" --quant "$quant" > "$bundle.convert.log" 2>&1 ||
    { tail -n 20 "$bundle.convert.log"; die "conversion failed"; }
fi

out=$dir/samples/$name
mkdir -p "$out"
results=$out/results.jsonl
threads=()
[ -n "${LINNET_THREADS:-}" ] && threads=(--threads "$LINNET_THREADS")
echo "== $name: $(grep -c . "$messages") labelled messages, labels $labels, model $bundle"
"$linnet_bin" classify "$bundle" --labels "$labels" --system "$system" --prefix-cache "$out/prefix.state" \
  "${threads[@]}" --jsonl < "$messages" > "$results" 2> "$out/summary.txt" ||
  { cat "$out/summary.txt" >&2; die "linnet classify failed"; }

# Per-label accuracy and the mistakes, from the compact result lines
# ({"id":"m19","label":"SAFE",...,"expected":"SPAM","correct":false}).
awk -v labels="$labels" '
  function field(line, key,   m) {
    if (match(line, "\"" key "\":\"[^\"]*\"")) { m = substr(line, RSTART, RLENGTH); sub("^\"" key "\":\"", "", m); sub("\"$", "", m); return m }
    return ""
  }
  /"error"/ { errors++; print "  error: " $0; next }
  {
    got = field($0, "label"); want = field($0, "expected"); id = field($0, "id")
    total[want]++
    if (got == want) right[want]++
    else { p = $0; sub(/.*"probabilities":/, "", p); sub(/,"prompt_tokens".*/, "", p); printf "  miss %-4s expected %-8s got %-8s %s\n", id, want, got, p }
  }
  END {
    n = split(labels, L, ",")
    for (i = 1; i <= n; i++) printf "  %-8s %2d/%-2d correct\n", L[i], right[L[i]] + 0, total[L[i]] + 0
  }' "$results"
cat "$out/summary.txt"
echo "results: $results"
