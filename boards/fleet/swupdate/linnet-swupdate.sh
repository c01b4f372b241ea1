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
#   postfailure  the update failed: if `postinst` was interrupted (its work directory is
#                still there), return to the model active before it (linnet-fleet
#                restore: waits for an install left running, `linnet ota rollback` if
#                that install had committed); log the store's state either way.
#
# What it prints on stderr is in SWUpdate's log (as ERROR lines).
set -u
fleet=${LINNET_FLEET:-/usr/lib/linnet/linnet-fleet}
staged=${LINNET_SWU_STAGE:-/var/cache/linnet/swupdate/model.lnu}
work=${LINNET_SWU_WORK:-/var/cache/linnet/swupdate/work}

case "${1:-}" in
  postinst)
    [ -r "$staged" ] || { echo "linnet-swupdate: the staged update $staged is missing" >&2; exit 1; }
    rm -rf "$work"
    rc=0
    "$fleet" install "$staged" "$work" || rc=$?
    rm -f "$staged"
    # Installed: nothing runs after this script, nothing for postfailure to undo. Any
    # other exit (refused, or the installer was killed) keeps the work directory for
    # postfailure, whose restore is a no-op when nothing changed.
    [ "$rc" -ne 0 ] || rm -rf "$work"
    exit "$rc"
    ;;
  postfailure)
    rc=0
    if [ -d "$work" ]; then
      "$fleet" restore "$work" || rc=$?
      rm -rf "$work"
    fi
    rm -f "$staged"
    "$fleet" report
    exit "$rc"
    ;;
  *) exit 0 ;;  # preinst, and whatever a later SWUpdate adds
esac
