# shellcheck shell=bash disable=SC2015  # `check && log "ok" || fail`: log cannot fail
# RAUC: the real Debian `rauc` (1.13 in trixie: bundle, info, service, install) with a private D-Bus
# system bus (dbus-daemon on a socket in this test's directory: the build root has no
# system bus). What is not real: the booted slot (`rauc service --override-boot-slot`,
# since the build root's /proc/cmdline names no RAUC slot) and the bootloader (`noop`);
# neither takes part in installing into the "linnet" slot. Bundles are format "plain"
# (loop-mounted squashfs; verity would need device-mapper in the build root).
# shellcheck source=tests/fleet/fleet_lib.sh
. "$(dirname "$0")/fleet_lib.sh"
need rauc
need dbus-daemon dbus-daemon
need mksquashfs squashfs-tools
need openssl
[ "$(id -u)" = 0 ] || skip "rauc install mounts bundles: run as root (inside the build root)"
[ -w /dev/loop-control ] || skip "no /dev/loop-control: rauc cannot mount bundles here"

W=$FLEET_WORK/rauc
new_device "$W/device"
mkdir -p "$W/rauc-data" "$W/mnt" "$W/b"

# Keys: a CA in the device's keyring and a signer it issued; a second CA and signer for
# the wrong-key case.
pki() {  # pki NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$W/$1-ca.key" \
    -out "$W/$1-ca.pem" -days 3650 -subj "/CN=$1 CA" 2>/dev/null &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$W/$1-signer.key" \
    -out "$W/$1-signer.csr" -subj "/CN=$1 signer" 2>/dev/null &&
  openssl x509 -req -in "$W/$1-signer.csr" -CA "$W/$1-ca.pem" -CAkey "$W/$1-ca.key" -CAcreateserial \
    -out "$W/$1-signer.pem" -days 3650 2>/dev/null || die "openssl failed"
}
pki vendor
pki wrong

# The shipped snippet, pointed at this test's directories; plus a bootable slot for
# --override-boot-slot.
sed -e "s|^compatible=.*|compatible=linnet-test|" -e "s|^bootloader=.*|bootloader=noop\nmountprefix=$W/mnt|" \
  -e "s|^data-directory=.*|data-directory=$W/rauc-data|" -e "s|^path=/etc/rauc/keyring.pem|path=$W/vendor-ca.pem|" \
  -e "s|^device=/var/lib/linnet|device=$STORE|" "$BOARDS/rauc/system.conf" > "$W/system.conf"
printf '\n[slot.rootfs.0]\ndevice=/dev/null\nbootname=system0\n' >> "$W/system.conf"
grep -q "device=$STORE" "$W/system.conf" || die "the shipped system.conf has no linnet slot on /var/lib/linnet"

cat > "$W/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$W/bus.sock</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/>
<allow receive_sender="*"/></policy></busconfig>
CONF
rm -f "$W/bus.sock"
dbus-daemon --config-file="$W/bus.conf" --fork --print-pid > "$W/bus.pid" || die "dbus-daemon did not start"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$W/bus.sock
rauc service --conf="$W/system.conf" --override-boot-slot=system0 > "$W/service.log" 2>&1 &
service=$!
trap 'kill "$service" 2>/dev/null; kill "$(cat "$W/bus.pid")" 2>/dev/null' EXIT
for _ in $(seq 1 100); do rauc status > /dev/null 2>&1 && break; sleep 0.1; done
rauc status > "$W/status.log" 2>&1 || { cat "$W/status.log" "$W/service.log"; die "the rauc service does not answer"; }

bundle() {  # bundle VERSION OUT [signer] [sign options]
  local v=$1 out=$2 signer=${3:-vendor}
  shift 3 2>/dev/null || shift $#
  sign_update "$v" "$W/b/tiny-$v.lnu" "$@"
  "$BOARDS/rauc/linnet-rauc-bundle" "$W/b/tiny-$v.lnu" --compatible linnet-test --version "$v" \
    --cert "$W/$signer-signer.pem" --key "$W/$signer-signer.key" -o "$out" > "$W/bundle.log" 2>&1 ||
    { cat "$W/bundle.log"; die "linnet-rauc-bundle failed for v$v"; }
}
install_() { rauc install "$1"; }

# 1. Install: the active version switches.
for v in 1 2; do
  bundle "$v" "$W/b/tiny-$v.raucb"
  install_ "$W/b/tiny-$v.raucb" > "$W/install-$v.log" 2>&1 || { fail "rauc install v$v failed"; cat "$W/install-$v.log"; tail -n 20 "$W/service.log"; }
  expect_active "$(sha_of_version "$v")" "v$v after rauc install"
done
rauc info --keyring="$W/vendor-ca.pem" "$W/b/tiny-2.raucb" > "$W/info.log" 2>&1 || fail "rauc info failed"
expect_in "$W/info.log" "Hooks:     install" "rauc info: the linnet image is installed by the hook"
expect_in "$W/service.log" "Running slot hook 'slot-install' for linnet.0" "RAUC ran the slot-install hook"

# 2. A failing self-test: RAUC reports the failure, v2 stays active.
bundle 3 "$W/b/tiny-3.raucb" vendor --self-test-prompt "hello" --self-test-label NOT_A_LABEL
if install_ "$W/b/tiny-3.raucb" > "$W/install-3.log" 2>&1; then fail "rauc install of an update failing its self-test succeeded"; else log "ok: rauc install failed"; fi
expect_active "$(sha_of_version 2)" "still v2 after the failed self-test"
expect_in "$W/service.log" "self-test of tiny v3" "the reason is in RAUC's log"
case "$(kv last_error)" in *"self-test of tiny v3"*) log "ok: the reason is in linnet ota status" ;; *) fail "last_error: $(kv last_error)" ;; esac

# 3. A bundle signed by a signer the keyring does not trust: refused, nothing changes.
before=$(state_sum)
bundle 4 "$W/b/wrong.raucb" wrong
if install_ "$W/b/wrong.raucb" > "$W/install-wrong.log" 2>&1; then fail "a bundle signed with the wrong key was installed"; else log "ok: refused"; fi
cat "$W/install-wrong.log" >> "$W/service.log"
expect_in "$W/service.log" "signature" "RAUC's log names the signature"
[ "$(state_sum)" = "$before" ] && log "ok: the store's state record is unchanged" || fail "the store changed"
#    Right bundle signature, .lnu signed with the wrong Linnet key.
"$LINNET_CONVERT" sign "$FIX/tiny-q8.linnet" --key "$FIX/wrong.key" --version 5 --name tiny -o "$W/b/wrong-vendor.lnu" >/dev/null
"$BOARDS/rauc/linnet-rauc-bundle" "$W/b/wrong-vendor.lnu" --compatible linnet-test --version 5 \
  --cert "$W/vendor-signer.pem" --key "$W/vendor-signer.key" -o "$W/b/wrong-vendor.raucb" > /dev/null 2>&1
if install_ "$W/b/wrong-vendor.raucb" > "$W/install-wrongvendor.log" 2>&1; then fail "an update signed with the wrong Linnet key was installed"; else log "ok: refused"; fi
expect_in "$W/service.log" "(wrong key)" "RAUC's log has Linnet's wrong-key message"
expect_active "$(sha_of_version 2)" "still v2"

# 4. kill -9 of the bundle hook (hook.sh, with its children: linnet-fleet and `linnet ota install`)
#    during the installation, at several moments. RAUC has no rollback step: when it
#    reports the failure, the previous model is active unless the kill came after Linnet
#    had committed (then the new, self-tested one is, and it is said below). Always: the
#    store passes `linnet ota check`, and RAUC takes the next bundle.
v=6
prev=$(kv active_version)
sign_update "$v" "$W/probe.lnu"
delays=$(kill_delays "$W/probe.lnu") || die "could not measure an install"
for delay in $delays; do
  bundle "$v" "$W/b/tiny-$v.raucb"
  install_ "$W/b/tiny-$v.raucb" > "$W/kill-$v.log" 2>&1 &
  client=$!
  hook=$(await_process "$client" "hook.sh slot-install") || hook=
  if [ -z "$hook" ]; then wait "$client"; fail "v$v: never saw the hook install"; v=$((v + 1)); continue; fi
  sleep "$delay"
  phase=$(kv phase)
  kill_tree "$hook"
  rc=0
  wait "$client" || rc=$?
  if ! store_loads; then fail "v$v: after kill -9 (+${delay}s, phase '$phase') the store does not pass linnet ota check"; cat "$FLEET_WORK/check.$$.err"; fi
  now=$(kv active_version)
  if [ "$now" = "$prev" ]; then outcome="previous model (v$prev) active"
  elif [ "$now" = "$v" ]; then outcome="v$v active (Linnet had committed it before the kill)"; prev=$now
  else fail "v$v: the active model is v$now, neither the previous v$prev nor v$v"; outcome="?"; fi
  [ "$rc" -eq 0 ] && [ "$now" != "$v" ] && fail "v$v: RAUC reported success but v$now is active"
  log "kill -9 hook +${delay}s (store phase '$phase'): rauc install exit $rc, $outcome; store loads"
  v=$((v + 1))
done
bundle "$v" "$W/b/tiny-$v.raucb"
install_ "$W/b/tiny-$v.raucb" > "$W/final.log" 2>&1 || { fail "a normal install after the kills failed"; cat "$W/final.log"; }
expect_active "$(sha_of_version "$v")" "v$v after the kills"
finish
