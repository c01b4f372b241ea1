#!/bin/sh
# SWUpdate script for Linnet model updates (the .swu's "postinstall" script, put there by
# boards/fleet/swupdate/linnet-swu). By the time SWUpdate runs it, its "rawfile" handler
# has verified the .lnu's SHA-256 from the signed sw-description and written it to the
# staging path (sw-description's `path`, /var/cache/linnet/swupdate/model.lnu); this
# script hands it to Linnet (/usr/lib/linnet/linnet-fleet install: vendor signature, A/B
# slot, trial load, self-test, commit) and removes it. A non-zero exit fails the SWUpdate
# installation; what it prints on stderr is in SWUpdate's log (as ERROR lines).
set -u
fleet=${LINNET_FLEET:-/usr/lib/linnet/linnet-fleet}
staged=${LINNET_SWU_STAGE:-/var/cache/linnet/swupdate/model.lnu}
[ -r "$staged" ] || { echo "linnet-postinstall: the staged update $staged is missing" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/linnet-swu.XXXXXX") || exit 1
rc=0
"$fleet" install "$staged" "$work" || rc=$?
rm -rf "$work" "$staged"
exit "$rc"
