#!/bin/sh
# RAUC bundle hook for Linnet model updates: put into the bundle by
# boards/fleet/rauc/linnet-rauc-bundle; RAUC runs it for the "linnet" image (hooks=install)
# as `hook.sh slot-install` with RAUC_IMAGE_NAME (the .lnu inside the mounted bundle),
# RAUC_SLOT_NAME, RAUC_SLOT_DEVICE, RAUC_IMAGE_DIGEST, ... in the environment. A non-zero
# exit fails RAUC's installation; RAUC logs what the hook printed.
set -u
fleet=${LINNET_FLEET:-/usr/lib/linnet/linnet-fleet}
case "${1:-}" in
  slot-install)
    [ "${RAUC_SLOT_CLASS:-}" = linnet ] || { echo "linnet hook: slot class '${RAUC_SLOT_CLASS:-}' is not linnet" >&2; exit 1; }
    [ -r "${RAUC_IMAGE_NAME:-}" ] || { echo "linnet hook: cannot read the image '${RAUC_IMAGE_NAME:-}'" >&2; exit 1; }
    work=$(mktemp -d "${TMPDIR:-/tmp}/linnet-rauc.XXXXXX") || exit 1
    rc=0
    "$fleet" install "$RAUC_IMAGE_NAME" "$work" || rc=$?
    rm -rf "$work"
    exit "$rc"
    ;;
  *) exit 0 ;;  # hooks this bundle does not declare
esac
