#!/usr/bin/env bash
# The main job, end to end on this machine: build Linnet, convert the reference
# checkpoint (../shared/models/qwen35-tiny-a, a small Qwen3.5 model trained on moderation
# and routing chats) into a bundle, and classify a message with the moderation prompt.
#
#   sudo tools/demo.sh                       classify two sample messages, then the labelled
#                                            moderation set (samples/moderation)
#   sudo tools/demo.sh "message to check"    classify this one
#
# Runs from any folder. Each result is one JSON object from `linnet classify` (top label,
# each label's probability, tokens, milliseconds). The build shows its progress, an
# estimate and its log; the bundle is converted again only when its inputs changed (the
# checkpoint's files, the quantization, the converter binary: recorded in <bundle>.stamp),
# so a rerun keeps the bundle and its hash. It ends with where the bundle is and what to
# try next.
#
# Like tools/test.sh it runs inside the Debian 13 (trixie) build environment
# (toolchains/trixie-root.sh; root is needed on a non-trixie host: `sudo tools/demo.sh`,
# or in a root shell `tools/demo.sh`; with variables, `sudo env LINNET_DEMO_QUANT=q4
# tools/demo.sh`, since `VAR=... sudo cmd` drops them).
#
# Environment: LINNET_BUILD_DIR (default build; the build tree is $LINNET_BUILD_DIR/host),
# LINNET_SHARED_DIR (default <repo>/../shared), LINNET_DEMO_QUANT (default q8).
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)

if [ "${LINNET_DEMO_STAGE:-}" != inner ]; then
  case "${1:-}" in -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
  # Paths relative to the caller's folder mean the same inside (LINNET_BUILD_DIR, when
  # relative, is relative to the clone); each is named as an argument so the build root
  # shows its folder (toolchains/trixie-root.sh run).
  paths=()
  if [ -n "${LINNET_SHARED_DIR:-}" ]; then
    LINNET_SHARED_DIR=$(realpath -m -- "$LINNET_SHARED_DIR")
    export LINNET_SHARED_DIR
    paths+=("LINNET_SHARED_DIR=$LINNET_SHARED_DIR")
  fi
  case "${LINNET_BUILD_DIR:-}" in /*) paths+=("LINNET_BUILD_DIR=$LINNET_BUILD_DIR") ;; esac
  "$repo/toolchains/trixie-root.sh" setup
  cd "$repo"
  export LINNET_DEMO_STAGE=inner
  exec "$repo/toolchains/trixie-root.sh" run env "${paths[@]}" "$repo/tools/demo.sh" "$@"
fi

die() { echo "demo.sh: $*" >&2; exit 1; }

cd "$repo"
shared=${LINNET_SHARED_DIR:-$(cd "$repo/.." && pwd)/shared}
model_dir=$shared/models/qwen35-tiny-a
dir=${LINNET_BUILD_DIR:-build}/host
case "$dir" in /*) ;; *) dir=$repo/$dir ;; esac
quant=${LINNET_DEMO_QUANT:-q8}
[ -f "$model_dir/config.json" ] || die "no reference checkpoint at $model_dir (set LINNET_SHARED_DIR)"

# Prints "  build: 40% (60 of 151 steps, 1m20s so far, about 2m left)" at each tenth of
# ninja's "[N/M]" lines, the rest going only to the log.
show_progress() {
  local line done_steps total shown=-1 percent left start=$SECONDS
  while IFS= read -r line; do
    [[ $line =~ ^\[([0-9]+)/([0-9]+)\] ]] || continue
    done_steps=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]}
    [ "$done_steps" -gt 0 ] || continue
    percent=$(( done_steps * 100 / total ))
    [ $(( percent / 10 )) -gt "$shown" ] || continue
    shown=$(( percent / 10 ))
    if [ "$percent" -lt 10 ]; then  # too early for an estimate
      printf '  build: %3d%% (%d of %d steps)\n' "$percent" "$done_steps" "$total"
      continue
    fi
    left=$(( (SECONDS - start) * (total - done_steps) / done_steps ))
    printf '  build: %3d%% (%d of %d steps, %dm%02ds so far, about %dm%02ds left)\n' "$percent" "$done_steps" \
      "$total" $(( (SECONDS - start) / 60 )) $(( (SECONDS - start) % 60 )) $(( left / 60 )) $(( left % 60 ))
  done
  [ "$shown" -ge 0 ] || echo "  build: up to date"
}

echo "== build (preset host, $dir; log: $dir/demo-build.log)"
mkdir -p "$dir"
if [ ! -x "$dir/runtime/cli/linnet" ]; then
  echo "   the first build compiles about 150 files: about 5 minutes on 2 cores, 2 on 8"
fi
cmake --preset host -B "$dir" > "$dir/demo-configure.log" 2>&1 ||
  { tail -n 30 "$dir/demo-configure.log"; die "configure failed (log: $dir/demo-configure.log)"; }
cmake --build "$dir" -j "$(nproc)" --target linnet linnet-convert 2>&1 | tee "$dir/demo-build.log" | show_progress ||
  { grep -E -A8 'error|FAILED' "$dir/demo-build.log" | head -n 60; die "build failed (log: $dir/demo-build.log)"; }

convert_bin=$dir/converter/tool/linnet-convert
linnet_bin=$dir/runtime/cli/linnet
[ -x "$convert_bin" ] || die "linnet-convert was not built ($convert_bin missing): the converter is not finished"
[ -x "$linnet_bin" ] || die "linnet was not built ($linnet_bin missing)"

"$linnet_bin" help 2>/dev/null | grep -qE '^ +classify( |$)' ||
  die "linnet has no 'classify' command yet ('linnet help' lists: $("$linnet_bin" help 2>/dev/null | sed -n 's/^  \([a-z-]*\) .*/\1/p' | tr '\n' ' '))"

# Convert only when an input changed: the stamp holds the hashes of the checkpoint's files,
# the quantization and the converter binary the bundle was made from.
bundle=$dir/demo/qwen35-tiny-a.$quant.linnet
mkdir -p "$(dirname "$bundle")"
stamp=$(
  cd "$model_dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum
  echo "quant $quant"
  echo "converter $(sha256sum < "$convert_bin" | cut -d' ' -f1)"
)
if [ -f "$bundle" ] && [ "$(cat "$bundle.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "== convert: $bundle is up to date (same checkpoint, quantization and converter)"
else
  echo "== convert $model_dir -> $bundle ($quant)"
  rm -f "$bundle.stamp"
  "$convert_bin" "$model_dir" -o "$bundle" --quant "$quant"
  printf '%s\n' "$stamp" > "$bundle.stamp"
fi

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
  LINNET_BUNDLE=$bundle "$repo/samples/moderation/run.sh"
  cat <<EOF
   The misses are the limits of the small reference model, not of Linnet: qwen35-tiny-a
   (8 layers, 2 MB) knows only the phrasings it was trained on, and Linnet gives the
   probabilities of the reference implementation (tests/golden; docs/classify.md,
   "Accuracy on the reference model"). A real Qwen3.5 model is what to deploy.
EOF
fi

cat <<EOF

bundle: $bundle
next (from the clone; as root on a non-trixie host: sudo, or a root shell):
  tools/linnet info $bundle
  tools/linnet classify $bundle --labels SAFE,SPAM,ABUSE --system "$system" "your message"
  tools/linnet run $bundle --chat --prompt "I was charged twice this month" \\
      --system "You are a request router. Reply with one queue: BILLING, TECH, SALES or OTHER."
  tools/demo.sh "your message"          samples/routing/run.sh          README.md: Model workflow
EOF
