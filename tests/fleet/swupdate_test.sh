# shellcheck shell=bash disable=SC2015  # `check && log "ok" || fail`: log cannot fail
# SWUpdate: the real Debian `swupdate` (2024.12.1 in trixie), installing a signed .swu from
# a file (`swupdate -i`, as the USB-stick flow and `swupdate-client` do; no daemon
# needed), checking its CMS signature (-k) and hardware compatibility (-H); its rawfile
# handler stages the .lnu and its shellscript (boards/fleet/swupdate/linnet-swupdate.sh) hands it to
# Linnet. Bootloader markers are off (-M -m): the build root has no bootloader
# environment, and a model update needs none.
# shellcheck source=tests/fleet/fleet_lib.sh
. "$(dirname "$0")/fleet_lib.sh"
need swupdate
need cpio
need openssl

W=$FLEET_WORK/swupdate
new_device "$W/device"
mkdir -p "$W/tmp" "$W/b" "$W/stage"
export TMPDIR=$W/tmp LINNET_SWU_STAGE=$W/stage/model.lnu LINNET_SWU_WORK=$W/stage/work

cert() {  # cert NAME: a self-signed CMS signer (what -k trusts)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$W/$1.key" -out "$W/$1.pem" \
    -days 3650 -subj "/CN=linnet $1" -addext keyUsage=digitalSignature -addext extendedKeyUsage=emailProtection \
    2>/dev/null || die "openssl failed"
}
cert vendor
cert wrong

swu() {  # swu VERSION OUT [signer] [sign options]
  local v=$1 out=$2 signer=${3:-vendor}
  shift 3 2>/dev/null || shift $#
  sign_update "$v" "$W/b/tiny-$v.lnu" "$@"
  "$BOARDS/swupdate/linnet-swu" "$W/b/tiny-$v.lnu" --version "$v" --cert "$W/$signer.pem" --key "$W/$signer.key" \
    --stage "$W/stage/model.lnu" -o "$out" 2> "$W/swu.log" || { cat "$W/swu.log"; die "linnet-swu failed for v$v"; }
}
install_() { swupdate -v -i "$1" -k "$W/vendor.pem" -H linnet-test:1.0 -M -m; }

# 1. Install: the active version switches.
for v in 1 2; do
  swu "$v" "$W/b/tiny-$v.swu"
  install_ "$W/b/tiny-$v.swu" > "$W/install-$v.log" 2>&1 || { fail "swupdate v$v failed"; grep -v TRACE "$W/install-$v.log" | tail -n 30; }
  expect_active "$(sha_of_version "$v")" "v$v after swupdate -i"
done
expect_in "$W/install-2.log" "SWUpdate was successful" "SWUpdate reports success"
expect_in "$W/install-2.log" "linnet-fleet: committed; active: tiny v2" "SWUpdate's log shows the install"
[ ! -e "$W/stage/model.lnu" ] && log "ok: the staged .lnu was removed" || fail "the staged .lnu is still there"

# 2. A failing self-test: SWUpdate fails, v2 stays active.
swu 3 "$W/b/tiny-3.swu" vendor --self-test-prompt "hello" --self-test-label NOT_A_LABEL
if install_ "$W/b/tiny-3.swu" > "$W/install-3.log" 2>&1; then fail "swupdate of an update failing its self-test succeeded"; else log "ok: swupdate failed"; fi
expect_in "$W/install-3.log" "SWUpdate *failed*" "SWUpdate reports the failure"
expect_in "$W/install-3.log" "self-test of tiny v3" "the reason is in SWUpdate's log"
expect_in "$W/install-3.log" "last error: update refused: self-test of tiny v3" "the script's postfailure step logged the store's state"
expect_active "$(sha_of_version 2)" "still v2 after the failed self-test"
case "$(kv last_error)" in *"self-test of tiny v3"*) log "ok: the reason is in linnet ota status" ;; *) fail "last_error: $(kv last_error)" ;; esac

# 3. Signed with a key the device does not trust: refused, nothing changes.
before=$(state_sum)
swu 4 "$W/b/wrong.swu" wrong
if install_ "$W/b/wrong.swu" > "$W/install-wrong.log" 2>&1; then fail "a .swu signed with the wrong key was installed"; else log "ok: refused"; fi
expect_in "$W/install-wrong.log" "Signature verification failed" "SWUpdate's log names the signature"
[ "$(state_sum)" = "$before" ] && log "ok: the store's state record is unchanged" || fail "the store changed"
[ ! -e "$W/stage/model.lnu" ] && log "ok: nothing was staged" || fail "the refused .swu staged its payload"
#    Right .swu signature, .lnu signed with the wrong Linnet key.
"$LINNET_CONVERT" sign "$FIX/tiny-q8.linnet" --key "$FIX/wrong.key" --version 5 --name tiny -o "$W/b/wrong-vendor.lnu" >/dev/null
"$BOARDS/swupdate/linnet-swu" "$W/b/wrong-vendor.lnu" --version 5 --cert "$W/vendor.pem" --key "$W/vendor.key" \
  --stage "$W/stage/model.lnu" -o "$W/b/wrong-vendor.swu" 2>/dev/null
if install_ "$W/b/wrong-vendor.swu" > "$W/install-wrongvendor.log" 2>&1; then fail "an update signed with the wrong Linnet key was installed"; else log "ok: refused"; fi
expect_in "$W/install-wrongvendor.log" "(wrong key)" "SWUpdate's log has Linnet's wrong-key message"
expect_active "$(sha_of_version 2)" "still v2"

# 4. kill -9 of the script (at postinst) with its children during the installation, at
#    several moments. SWUpdate then fails the update and calls the script with postfailure,
#    which undoes an install that had committed before the kill (and waits for one the
#    kill left running). After each: the store passes `linnet ota check`; when SWUpdate
#    reports the failure the previous model is active; when the kill came after the
#    script had finished, the update succeeded and the new model is active.
v=6
prev=$(kv active_version)
sign_update "$v" "$W/probe.lnu"
delays=$(kill_delays "$W/probe.lnu") || die "could not measure an install"
for delay in $delays; do
  swu "$v" "$W/b/tiny-$v.swu"
  install_ "$W/b/tiny-$v.swu" > "$W/kill-$v.log" 2>&1 &
  client=$!
  script=$(await_process "$client" "linnet-swupdate.sh postinst") || script=
  if [ -z "$script" ]; then wait "$client"; fail "v$v: never saw the script install"; v=$((v + 1)); continue; fi
  sleep "$delay"
  phase=$(kv phase)
  kill_tree "$script"
  rc=0
  wait "$client" || rc=$?
  if ! store_loads; then fail "v$v: after kill -9 (+${delay}s, phase '$phase') the store does not pass linnet ota check"; cat "$FLEET_WORK/check.$$.err"; fi
  now=$(kv active_version)
  if [ "$rc" -ne 0 ]; then
    [ "$now" = "$prev" ] || fail "v$v: SWUpdate failed (exit $rc) but the active model is v$now, not v$prev"
    outcome="failed, previous model (v$prev) active"
  else
    [ "$now" = "$v" ] || fail "v$v: SWUpdate succeeded but v$now is active"
    prev=$now
    outcome="the script had finished: v$v installed"
  fi
  log "kill -9 script +${delay}s (store phase '$phase'): swupdate exit $rc, $outcome; store loads"
  [ ! -e "$W/stage/model.lnu" ] || fail "v$v: the staged update was left behind"
  [ "$rc" -eq 0 ] || [ ! -e "$W/stage/work" ] || fail "v$v: postfailure left the work directory behind"
  v=$((v + 1))
done
swu "$v" "$W/b/tiny-$v.swu"
install_ "$W/b/tiny-$v.swu" > "$W/final.log" 2>&1 || { fail "a normal install after the kills failed"; grep -v TRACE "$W/final.log" | tail -n 20; }
expect_active "$(sha_of_version "$v")" "v$v after the kills"

# 5. The work directory of that successful update is still there. A later update that
#    fails before this script's postinst must not "restore" from it: (a) a byte of
#    model.lnu changed inside the .swu (SWUpdate refuses the image before any script);
#    (b) a .swu whose second script fails at preinst, after which SWUpdate calls every
#    script with postfailure, ours included (its work directory names another run).
[ -d "$W/stage/work" ] && log "ok: the successful update's work directory is there" || fail "no work directory after the success"
last=$v
v=$((v + 1))
swu "$v" "$W/b/tiny-$v.swu"
size=$(stat -c %s "$W/b/tiny-$v.swu")
# Complement the byte (setting it to a fixed value left it unchanged when it already
# held that value: the .swu was then rightly installed, and the test failed).
byte=$(dd if="$W/b/tiny-$v.swu" bs=1 skip=$((size / 2)) count=1 status=none | od -An -tu1 | tr -d ' ')
printf "\\$(printf %o $((255 - byte)))" | dd of="$W/b/tiny-$v.swu" bs=1 seek=$((size / 2)) conv=notrunc status=none
if install_ "$W/b/tiny-$v.swu" > "$W/corrupt.log" 2>&1; then fail "a .swu with a changed byte was installed"; else log "ok: the changed .swu was refused"; fi
[ "$(kv active_version)" = "$last" ] && log "ok: v$last is still active" || fail "v$(kv active_version) is active after the refused .swu, not v$last"
v=$((v + 1))
d=$W/b/two-scripts
rm -rf "$d"
mkdir -p "$d"
sign_update "$v" "$d/model.lnu"
cp "$BOARDS/swupdate/linnet-swupdate.sh" "$d/"
# shellcheck disable=SC2016  # the script's own $1
printf '#!/bin/sh\n[ "$1" = preinst ] && { echo "failing at preinst" >&2; exit 1; }\nexit 0\n' > "$d/fail.sh"
cat > "$d/sw-description" <<DESC
software = {
  version = "$v";
  hardware-compatibility = [ "1.0" ];
  reboot = false;
  files: ( { filename = "model.lnu"; path = "$W/stage/model.lnu"; sha256 = "$(bundle_sha "$d/model.lnu")"; } );
  scripts: ( { filename = "linnet-swupdate.sh"; type = "shellscript"; sha256 = "$(bundle_sha "$d/linnet-swupdate.sh")"; },
             { filename = "fail.sh"; type = "shellscript"; sha256 = "$(bundle_sha "$d/fail.sh")"; } );
}
DESC
openssl cms -sign -in "$d/sw-description" -out "$d/sw-description.sig" -signer "$W/vendor.pem" -inkey "$W/vendor.key" \
  -outform DER -nosmimecap -binary || die "openssl cms failed"
(cd "$d" && printf '%s\n' sw-description sw-description.sig model.lnu linnet-swupdate.sh fail.sh | cpio -o -H crc --quiet) > "$W/b/two.swu"
if install_ "$W/b/two.swu" > "$W/two.log" 2>&1; then fail "the .swu whose script fails was installed"; else log "ok: the .swu whose script fails at preinst failed"; fi
expect_in "$W/two.log" "failing at preinst" "SWUpdate ran the failing preinst"
expect_in "$W/two.log" "last error:" "SWUpdate called our script with postfailure (it logged the store)"
[ "$(kv active_version)" = "$last" ] && log "ok: v$last is still active (the old work directory was not used)" || fail "v$(kv active_version) is active, not v$last"
grep -q "rolling back" "$W/two.log" && fail "postfailure rolled back an earlier update"
finish
