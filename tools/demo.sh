#!/usr/bin/env bash
# The main job, end to end on this machine: build Linnet, convert the reference
# checkpoint (../shared/models/qwen35-tiny-a, a small Qwen3.5 model trained on moderation
# and routing chats) into a bundle, and classify a message with the moderation prompt.
#
#   sudo tools/demo.sh                       classify two sample messages (samples/moderation)
#   sudo tools/demo.sh "message to check"    classify this one
#
# Each result is one JSON object from `linnet classify` (top label, each label's
# probability, tokens, milliseconds).
#
# Like tools/test.sh it runs inside the Debian 13 (trixie) build environment
# (toolchains/trixie-root.sh; root is needed on a non-trixie host).
#
# Environment: LINNET_BUILD_DIR (default build; the build tree is $LINNET_BUILD_DIR/host),
# LINNET_SHARED_DIR (default <repo>/../shared), LINNET_DEMO_QUANT (default q8).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "${LINNET_DEMO_STAGE:-}" != inner ]; then
  case "${1:-}" in -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
  "$repo/toolchains/trixie-root.sh" setup
  cd "$repo"
  export LINNET_DEMO_STAGE=inner
  exec "$repo/toolchains/trixie-root.sh" run "$repo/tools/demo.sh" "$@"
fi

die() { echo "demo.sh: $*" >&2; exit 1; }

cd "$repo"
shared=${LINNET_SHARED_DIR:-$(cd "$repo/.." && pwd)/shared}
model_dir=$shared/models/qwen35-tiny-a
dir=${LINNET_BUILD_DIR:-build}/host
quant=${LINNET_DEMO_QUANT:-q8}
[ -f "$model_dir/config.json" ] || die "no reference checkpoint at $model_dir (set LINNET_SHARED_DIR)"

echo "== build (preset host, $dir)"
mkdir -p "$dir"
cmake --preset host -B "$dir" > "$dir/demo-configure.log" 2>&1 ||
  { tail -n 30 "$dir/demo-configure.log"; die "configure failed (log: $dir/demo-configure.log)"; }
cmake --build "$dir" -j "$(nproc)" --target linnet linnet-convert > "$dir/demo-build.log" 2>&1 ||
  { grep -E -A8 'error|FAILED' "$dir/demo-build.log" | head -n 60; die "build failed (log: $dir/demo-build.log)"; }

convert_bin=$dir/converter/tool/linnet-convert
linnet_bin=$dir/runtime/cli/linnet
[ -x "$convert_bin" ] || die "linnet-convert was not built ($convert_bin missing): the converter is not finished"
[ -x "$linnet_bin" ] || die "linnet was not built ($linnet_bin missing)"

"$linnet_bin" help 2>/dev/null | grep -qE '^ +classify( |$)' ||
  die "linnet has no 'classify' command yet ('linnet help' lists: $("$linnet_bin" help 2>/dev/null | sed -n 's/^  \([a-z-]*\) .*/\1/p' | tr '\n' ' '))"

bundle=$dir/demo/qwen35-tiny-a.$quant.linnet
mkdir -p "$(dirname "$bundle")"
echo "== convert $model_dir -> $bundle ($quant)"
"$convert_bin" "$model_dir" -o "$bundle" --quant "$quant"

messages=()
if [ $# -gt 0 ]; then
  messages=("$@")
else
  messages=(
    "thanks for the help with my laptop yesterday"
    "WIN a FREE phone now!!! click http://bit.ly/x9"
  )
fi

# The moderation task the reference model was trained on (see its reference.json prompts).
system="You are a content moderator. Reply with one label: SAFE, SPAM or ABUSE."
echo "== linnet classify (moderation: SAFE, SPAM or ABUSE)"
for message in "${messages[@]}"; do
  echo "$message"
  "$linnet_bin" classify "$bundle" --labels SAFE,SPAM,ABUSE --system "$system" "$message"
done

# Without a message of the user's own, finish with the moderation sample: its labelled
# set through the same build and bundle, with the measured accuracy (samples/moderation).
if [ $# -eq 0 ]; then
  echo "== samples/moderation: the labelled set"
  exec "$repo/samples/moderation/run.sh"
fi
