#!/bin/sh
# SWUpdate handler for Linnet model updates: the .swu's script (type "shellscript", put
# there by boards/fleet/swupdate/linnet-swu). SWUpdate calls it with one argument:
#
#   preinst      nothing
#   postinst     SWUpdate's "rawfile" handler has checked model.lnu against its SHA-256 in
#                the signed sw-description and staged it (sw-description's `path`,
#                /var/cache/linnet/swupdate/model.lnu): hand it to Linnet
#                (/usr/lib/linnet/linnet-fleet install: vendor signature, A/B slot, trial
#                load, self-test, commit), then remove it. Non-zero exit: SWUpdate fails
#                the update (`SWUpdate *failed* !`).
#   postfailure  the update failed: if this update's `postinst` started an install (its
#                work directory names this run), return to the model active before it
#                (linnet-fleet restore: waits for an install left running, `linnet ota
#                rollback` if that install had committed, even if postinst was killed
#                after it); log the store's state either way.
#
# The work directory outlives a successful postinst (a kill between Linnet's commit and
# this script's exit is still a failed update to SWUpdate, and postfailure must undo it).
# It names the run by the sw-description SWUpdate extracted for it (beside the scripts
# directory this script runs from: inode, times to the nanosecond, SHA-256), written anew
# for every update, so a later update's postfailure never acts on an older run's. (Not
# this script's own file: SWUpdate changes its mode before each call, and reuses inodes.)
# Where that file is not found, postinst removes the work directory when it succeeds.
#
# What it prints on stderr is in SWUpdate's log (as ERROR lines).
set -u
fleet=${LINNET_FLEET:-/usr/lib/linnet/linnet-fleet}
staged=${LINNET_SWU_STAGE:-/var/cache/linnet/swupdate/model.lnu}
work=${LINNET_SWU_WORK:-/var/cache/linnet/swupdate/work}
run_id() {
  desc=$(dirname "$0")/../sw-description
  [ -f "$desc" ] || return 0
  printf '%s %s\n' "$(stat -c '%i %y %z' "$desc")" "$(sha256sum < "$desc" | cut -d' ' -f1)"
}

case "${1:-}" in
  postinst)
    [ -r "$staged" ] || { echo "linnet-swupdate: the staged update $staged is missing" >&2; exit 1; }
    rm -rf "$work"
    if ! { mkdir -p "$work" && run_id > "$work/run"; }; then
      echo "linnet-swupdate: cannot write $work" >&2
      exit 1
    fi
    rc=0
    "$fleet" install "$staged" "$work" || rc=$?
    rm -f "$staged"
    if [ "$rc" -eq 0 ] && [ ! -s "$work/run" ]; then rm -rf "$work"; fi
    exit "$rc"
    ;;
  postfailure)
    rc=0
    if [ -s "$work/run" ] && [ "$(cat "$work/run")" = "$(run_id)" ]; then
      "$fleet" restore "$work" || rc=$?
    fi
    rm -rf "$work" "$staged"
    "$fleet" report
    exit "$rc"
    ;;
  *) exit 0 ;;  # preinst, and whatever a later SWUpdate adds
esac
