# shellcheck shell=bash disable=SC2015  # `check && log "ok" || fail`: log cannot fail
# ctest fixture for the fleet tests: the tiny reference model converted twice (q8 and
# f16: two different bundles), the Linnet vendor key pair and a second ("wrong") one.
# shellcheck source=tests/fleet/fleet_lib.sh
. "$(dirname "$0")/fleet_lib.sh"
rm -rf "$FIX"
mkdir -p "$FIX"
model=${LINNET_SHARED_DIR:?}/models/qwen35-tiny-a
[ -d "$model" ] || die "the reference model $model is missing"
"$LINNET_CONVERT" "$model" -o "$FIX/tiny-q8.linnet" --quant q8 >/dev/null || die "converting to q8 failed"
"$LINNET_CONVERT" "$model" -o "$FIX/tiny-f16.linnet" --quant f16 >/dev/null || die "converting to f16 failed"
"$LINNET_CONVERT" keygen -o "$FIX/vendor" >/dev/null || die "keygen failed"
"$LINNET_CONVERT" keygen -o "$FIX/wrong" >/dev/null || die "keygen failed"
[ "$(bundle_sha "$FIX/tiny-q8.linnet")" != "$(bundle_sha "$FIX/tiny-f16.linnet")" ] || die "the two bundles are identical"
log "fixtures in $FIX"
