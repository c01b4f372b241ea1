# shellcheck shell=bash disable=SC2015  # `check && log "ok" || fail`: log cannot fail
# No reboot, no dropped session: a running `linnet serve --store` switches to the model a
# fleet manager's handler committed (here linnet-fleet install / linnet ota rollback, the
# commands the Mender, RAUC and SWUpdate handlers run), between requests, on the same
# open link (one stdio session for the whole test), and keeps its model when an update is
# refused. SIGHUP re-reads the store.
# shellcheck source=tests/fleet/fleet_lib.sh
. "$(dirname "$0")/fleet_lib.sh"

W=$FLEET_WORK/serve
new_device "$W/device"
for v in 1 2 3; do sign_update "$v" "$W/tiny-$v.lnu"; done
sign_update 4 "$W/bad-4.lnu" --self-test-prompt "hello" --self-test-label NOT_A_LABEL
"$LINNET" ota install "$W/tiny-1.lnu" --store "$STORE" --pubkey "$FIX/vendor.pub" > /dev/null 2>&1 || die "installing v1 failed"

rm -f "$W/in"
mkfifo "$W/in"
"$LINNET" serve --stdio --store "$STORE" --pubkey "$FIX/vendor.pub" --threads 1 < "$W/in" > "$W/out" 2> "$W/err" &
server=$!
exec 3> "$W/in"  # the session: one link, open until the end
trap 'exec 3>&-; kill "$server" 2>/dev/null' EXIT

# ask ID JSON: send a request, wait for its final line, print it.
ask() {
  printf '%s\n' "$2" >&3
  local line
  for _ in $(seq 1 600); do
    line=$(grep -F "\"id\":$1," "$W/out" | grep -v '"event"' | tail -n 1)
    [ -n "$line" ] && { printf '%s\n' "$line"; return 0; }
    sleep 0.05
  done
  die "no answer to request $1; server log:$(sed 's/^/  /' "$W/err")"
}
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" | head -n 1; }
wait_log() {  # wait_log TEXT: the server's log says TEXT (within 30 s)
  for _ in $(seq 1 600); do grep -qF -- "$1" "$W/err" && return 0; sleep 0.05; done
  return 1
}

sha1=$(ask 1 '{"id":1,"cmd":"info"}' | sed -n 's/.*"model":{[^}]*"sha256":"\([0-9a-f]*\)".*/\1/p')
[ -n "$sha1" ] || die "info gave no model sha256: $(cat "$W/out")"
log "serving v1 (content ${sha1:0:12})"

# 1. A handler installs v2 while the server runs (the store's lock is free between the
#    server's own OTA calls): the server switches.
"$LINNET_FLEET" install "$W/tiny-2.lnu" "$W/work" > "$W/install-2.log" 2>&1 || { fail "linnet-fleet install v2 with the server running failed"; cat "$W/install-2.log"; }
wait_log "now serving tiny v2" && log "ok: the server switched to v2" || fail "the server did not switch to v2: $(cat "$W/err")"
sha2=$(ask 2 '{"id":2,"cmd":"info"}' | sed -n 's/.*"model":{[^}]*"sha256":"\([0-9a-f]*\)".*/\1/p')
[ -n "$sha2" ] && [ "$sha2" != "$sha1" ] && log "ok: info reports the new model (${sha2:0:12})" || fail "info still reports ${sha2:0:12}"
[ "$(ask 3 '{"id":3,"cmd":"ota_status"}' | field active_version)" = 2 ] && log "ok: ota_status: active version 2" || fail "ota_status does not show v2"
reply=$(ask 4 '{"id":4,"cmd":"generate","prompt":"Say hello","max_tokens":4}')
case "$reply" in *'"ok":true'*) log "ok: the new model generates" ;; *) fail "generate after the switch: $reply" ;; esac

# 2. A manager's rollback (linnet ota rollback): the server goes back to v1.
"$LINNET" ota rollback --store "$STORE" --pubkey "$FIX/vendor.pub" --wait 30 > /dev/null 2>&1 || fail "linnet ota rollback failed"
wait_log "now serving tiny v1" && log "ok: the server switched back to v1" || fail "the server did not switch back to v1"
sha3=$(ask 7 '{"id":7,"cmd":"info"}' | sed -n 's/.*"model":{[^}]*"sha256":"\([0-9a-f]*\)".*/\1/p')
[ "$sha3" = "$sha1" ] && log "ok: info reports v1 again" || fail "info reports ${sha3:0:12} after the rollback"

# 3. A refused update (failing self-test) while serving: the server keeps v1.
if "$LINNET_FLEET" install "$W/bad-4.lnu" "$W/work" > "$W/install-4.log" 2>&1; then fail "the failing update was installed"; fi
sleep 0.5
[ "$(ask 5 '{"id":5,"cmd":"ota_status"}' | field active_version)" = 1 ] && log "ok: still v1 after the refused update" || fail "ota_status changed"
case "$(ask 6 '{"id":6,"cmd":"ota_status"}')" in *"self-test of tiny v4"*) log "ok: ota_status carries the reason" ;; *) fail "ota_status lacks the self-test error" ;; esac
grep -q "now serving tiny v4" "$W/err" && fail "the server switched to the refused update"

# 4. SIGHUP: re-reads the store (nothing to switch to: no second load).
kill -HUP "$server"
wait_log "SIGHUP: re-reading the store" && log "ok: SIGHUP re-reads the store" || fail "no SIGHUP log line"
[ "$(grep -c "now serving tiny v1" "$W/err")" = 1 ] && log "ok: SIGHUP with nothing new switches nothing" || fail "SIGHUP reloaded the same model"

# 5. The same process and the same session served everything.
kill -0 "$server" 2>/dev/null && log "ok: the server is still running (pid $server)" || fail "the server died"
grep -q "link lost\|link reopened" "$W/err" && fail "the link was dropped: $(cat "$W/err")"
[ "$(grep -c '"ok":true' "$W/out")" -ge 7 ] && log "ok: every request on the one session was answered" || fail "missing answers: $(cat "$W/out")"
exec 3>&-
wait "$server" || fail "the server exited with an error at end of input"
finish
