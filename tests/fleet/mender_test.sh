# shellcheck shell=bash disable=SC2015  # `check && log "ok" || fail`: log cannot fail
# Mender: the real Debian client (`mender` 3.4.0, standalone mode: install / commit /
# rollback without a server) and `mender-artifact`, with the linnet-bundle update module
# installed where the client looks for it (/usr/share/mender/modules/v3: the client
# takes ModulesPath from its build, not from mender.conf). Run inside the build root.
# shellcheck source=tests/fleet/fleet_lib.sh
. "$(dirname "$0")/fleet_lib.sh"
need mender mender-client
need mender-artifact
need openssl

modules=/usr/share/mender/modules/v3
mkdir -p "$modules" 2>/dev/null && [ -w "$modules" ] || skip "$modules is not writable (run inside the build root)"
cp "$BOARDS/mender/linnet-bundle" "$modules/linnet-bundle.tmp" && mv "$modules/linnet-bundle.tmp" "$modules/linnet-bundle"
# The client's fallback for the installed artifact's name before its first install
# (fixed path in this client): a provisioned device has it.
mkdir -p /etc/mender && { [ -f /etc/mender/artifact_info ] || echo artifact_name=factory-image > /etc/mender/artifact_info; }

W=$FLEET_WORK/mender
new_device "$W/device"
mkdir -p "$W/data" "$W/art"
openssl ecparam -genkey -name prime256v1 -noout -out "$W/mender.key" 2>/dev/null || die "openssl failed"
openssl ec -in "$W/mender.key" -pubout -out "$W/mender.pub" 2>/dev/null || die "openssl failed"
openssl ecparam -genkey -name prime256v1 -noout -out "$W/mender-wrong.key" 2>/dev/null || die "openssl failed"
echo device_type=linnet-test > "$W/device_type"
cat > "$W/mender.conf" <<CONF
{"DeviceTypeFile": "$W/device_type", "ArtifactVerifyKey": "$W/mender.pub"}
CONF

mender_() { mender --config "$W/mender.conf" --data "$W/data" --no-syslog "$@"; }
# artifact VERSION OUT [mender signing key] [sign options...]: a signed .lnu wrapped by
# boards/fleet/mender/linnet-mender-artifact.
artifact() {
  local v=$1 out=$2 key=${3:-$W/mender.key}
  shift 3 2>/dev/null || shift $#
  sign_update "$v" "$W/art/tiny-$v.lnu" "$@"
  "$BOARDS/mender/linnet-mender-artifact" "$W/art/tiny-$v.lnu" -t linnet-test -o "$out" -k "$key" -n "tiny-$v" \
    >/dev/null || die "linnet-mender-artifact failed for v$v"
}

# 1. install + commit: the active version switches (twice: first model, then an update).
for v in 1 2; do
  artifact "$v" "$W/art/tiny-$v.mender"
  mender_ install "$W/art/tiny-$v.mender" > "$W/install-$v.log" 2>&1 || { fail "mender install v$v failed"; cat "$W/install-$v.log"; }
  expect_active "$(sha_of_version "$v")" "v$v after mender install"
  mender_ commit > "$W/commit-$v.log" 2>&1 || { fail "mender commit v$v failed"; cat "$W/commit-$v.log"; }
  name=$(mender_ show-artifact 2>/dev/null)
  [ "$name" = "tiny-$v" ] && log "ok: mender show-artifact: $name" || fail "mender show-artifact says '$name', expected tiny-$v"
done
expect_in "$W/install-2.log" "linnet-fleet: committed; active: tiny v2" "Mender's log shows the module's install"
[ "$(kv active_version)" = 2 ] && log "ok: linnet ota status: version 2" || fail "linnet ota status version is $(kv active_version)"

# Inventory script: model, version, bundle hash.
inv=$("$BOARDS/mender/mender-inventory-linnet")
for want in linnet_model=tiny linnet_version=2 "linnet_bundle_sha256=$(sha_of_version 2)" linnet_slot=b; do
  case "$inv" in *"$want"*) log "ok: inventory has $want" ;; *) fail "inventory lacks $want: $inv" ;; esac
done

# 2. A failing self-test: refused, v2 stays active, Mender reports the failure.
artifact 3 "$W/art/tiny-3.mender" "$W/mender.key" --self-test-prompt "hello" --self-test-label NOT_A_LABEL
if mender_ install "$W/art/tiny-3.mender" > "$W/install-3.log" 2>&1; then
  fail "mender install of an update that fails its self-test succeeded"
else
  log "ok: mender install failed (exit $?)"
fi
expect_active "$(sha_of_version 2)" "still v2 after the failed self-test"
expect_in "$W/install-3.log" "self-test of tiny v3" "the reason is in Mender's log"
expect_in "$W/install-3.log" "Rolling back Artifact" "Mender rolled back"
expect_in "$W/install-3.log" "linnet-fleet: the previous model is active: tiny v2" "the module's rollback found v2 active"
case "$(kv last_error)" in *"self-test of tiny v3"*) log "ok: the reason is in linnet ota status" ;; *) fail "linnet ota status last_error: $(kv last_error)" ;; esac
name=$(mender_ show-artifact 2>/dev/null)
[ "$name" = tiny-2 ] && log "ok: Mender still reports tiny-2" || fail "mender show-artifact says '$name' after the failure"

# 3. Signed with the wrong key: Mender refuses before the module runs; nothing changes.
before=$(state_sum)
artifact 4 "$W/art/wrong-mender-key.mender" "$W/mender-wrong.key"
if mender_ install "$W/art/wrong-mender-key.mender" > "$W/install-wrongkey.log" 2>&1; then
  fail "an artifact signed with the wrong Mender key was installed"
else
  log "ok: mender refused the artifact signed with the wrong key"
fi
expect_in "$W/install-wrongkey.log" "signature" "Mender's log names the signature"
[ "$(state_sum)" = "$before" ] && log "ok: the store's state record is unchanged" || fail "the store changed"
expect_active "$(sha_of_version 2)" "still v2"
#    An unsigned artifact too.
"$BOARDS/mender/linnet-mender-artifact" "$W/art/tiny-4.lnu" -t linnet-test -o "$W/art/unsigned.mender" >/dev/null
if mender_ install "$W/art/unsigned.mender" > "$W/install-unsigned.log" 2>&1; then fail "an unsigned artifact was installed"; else log "ok: unsigned artifact refused"; fi
[ "$(state_sum)" = "$before" ] && log "ok: the store is unchanged" || fail "the store changed"
#    The Mender signature is right but the .lnu inside is signed with the wrong Linnet key.
"$LINNET_CONVERT" sign "$FIX/tiny-q8.linnet" --key "$FIX/wrong.key" --version 5 --name tiny -o "$W/art/wrong-vendor.lnu" >/dev/null
"$BOARDS/mender/linnet-mender-artifact" "$W/art/wrong-vendor.lnu" -t linnet-test -o "$W/art/wrong-vendor.mender" -k "$W/mender.key" >/dev/null
if mender_ install "$W/art/wrong-vendor.mender" > "$W/install-wrongvendor.log" 2>&1; then fail "an update signed with the wrong Linnet key was installed"; else log "ok: refused"; fi
expect_in "$W/install-wrongvendor.log" "(wrong key)" "Mender's log has Linnet's wrong-key message"
expect_active "$(sha_of_version 2)" "still v2"
case "$(kv last_error)" in *"wrong key"*) log "ok: linnet ota status names the wrong key" ;; *) fail "last_error: $(kv last_error)" ;; esac

# 4. kill -9 of the module during ArtifactInstall, at several moments. The module is the
#    client's child (it execs linnet-fleet, which runs `linnet ota install`). Even rounds
#    kill the module with its children (a crash of the whole update); odd rounds kill only
#    the module, leaving `linnet ota install` running as an orphan that the rollback must
#    wait for. After each: the store passes `linnet ota check`, and Mender, which saw the
#    module fail, reports the failure and the previous model is active; or, when the kill
#    came after the module had finished, the install succeeded and the new one is.
v=6
prev=$(kv active_version)
phases=""
sign_update "$v" "$W/probe.lnu"
delays=$(kill_delays "$W/probe.lnu") || die "could not measure an install"
for delay in $delays; do
  artifact "$v" "$W/art/tiny-$v.mender"
  mender_ install "$W/art/tiny-$v.mender" > "$W/kill-$v.log" 2>&1 &
  client=$!
  # The module execs linnet-fleet: "linnet-fleet install <payload> <work dir>".
  module=
  for _ in $(seq 1 2000); do
    module=$(find_process "linnet-fleet install " "$W/data/") && break
    kill -0 "$client" 2>/dev/null || break
  done
  if [ -z "$module" ]; then
    wait "$client"
    fail "v$v: never saw the module in ArtifactInstall"; v=$((v + 1)); continue
  fi
  sleep "$delay"
  phase=$(kv phase)
  if [ $((v % 2)) -eq 0 ]; then victims="$module $(descendants "$module" | tr '\n' ' ')"; how="module+children"; else victims=$module; how="module only"; fi
  # shellcheck disable=SC2086
  kill -9 $victims 2>/dev/null
  rc=0
  wait "$client" || rc=$?
  # The orphan (module-only kills) may still run: the rollback waited for it; let it end.
  for _ in $(seq 1 300); do installer_running || break; sleep 0.02; done
  if ! store_loads; then fail "v$v: after kill -9 ($how, +${delay}s, phase '$phase') the store does not pass linnet ota check:"; cat "$FLEET_WORK/check.$$.err"; fi
  now=$(kv active_version)
  if [ "$rc" -ne 0 ]; then
    [ "$now" = "$prev" ] || fail "v$v: Mender failed (exit $rc) but the active model is v$now, not v$prev"
    outcome="failed, previous model (v$prev) active"
  else
    [ "$now" = "$v" ] || fail "v$v: Mender succeeded but v$now is active"
    mender_ commit > /dev/null 2>&1 || fail "v$v: mender commit failed"
    prev=$now
    outcome="module had finished: v$v installed"
  fi
  log "kill -9 ($how) +${delay}s in ArtifactInstall (store phase '$phase'): mender exit $rc, $outcome; store loads"
  phases="$phases $phase"
  v=$((v + 1))
done
# The client is usable afterwards: a normal update goes through.
artifact "$v" "$W/art/tiny-$v.mender"
mender_ install "$W/art/tiny-$v.mender" > "$W/final.log" 2>&1 && mender_ commit >> "$W/final.log" 2>&1 ||
  { fail "a normal install after the kills failed"; cat "$W/final.log"; }
expect_active "$(sha_of_version "$v")" "v$v after the kills"
log "store phases seen at the kills:$phases"
finish
