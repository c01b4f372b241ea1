# shellcheck shell=bash disable=SC2015  # `check && log "ok" || fail`: log cannot fail
# Shared by the fleet tests (tests/fleet/*.sh, run by ctest with bash). Environment from
# tests/fleet/CMakeLists.txt: LINNET, LINNET_CONVERT (the built binaries), LINNET_SOURCE_DIR,
# LINNET_SHARED_DIR, FLEET_WORK (this build's scratch directory; the fixtures are in
# $FLEET_WORK/fixtures, made by make_fixtures.sh).
set -u

: "${LINNET:?}" "${LINNET_CONVERT:?}" "${LINNET_SOURCE_DIR:?}" "${FLEET_WORK:?}"
FIX=$FLEET_WORK/fixtures
BOARDS=$LINNET_SOURCE_DIR/boards/fleet
export LINNET_FLEET=$BOARDS/linnet-fleet
failures=0
test_name=${0##*/}

log() { printf '[%s] %s\n' "$test_name" "$*"; }
fail() { printf '[%s] FAIL: %s\n' "$test_name" "$*"; failures=$((failures + 1)); }
die() { printf '[%s] FAIL: %s\n' "$test_name" "$*"; exit 1; }
skip() { printf '[%s] SKIP: %s\n' "$test_name" "$*"; exit 77; }
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (toolchains/trixie-root.sh installs ${2:-$1} in the build root)"; }

# A device: a store, the Linnet vendor key, and the fleet.conf the handlers read.
# new_device DIR
new_device() {
  rm -rf "$1"
  mkdir -p "$1/store"
  cat > "$1/fleet.conf" <<CONF
LINNET=$LINNET
LINNET_STORE=$1/store
LINNET_PUBKEY=$FIX/vendor.pub
LINNET_LOCK_WAIT=60
LINNET_STORE_OWNER=0:0
CONF
  export LINNET_FLEET_CONF=$1/fleet.conf
  STORE=$1/store
}

status_kv() { "$LINNET" ota status --store "$STORE" --kv; }
kv() { status_kv | sed -n "s/^$1=//p"; }
active_sha() { kv active_bundle_sha256; }
bundle_sha() { sha256sum "$1" | cut -d' ' -f1; }
state_sum() { sha256sum "$STORE/state" 2>/dev/null | cut -d' ' -f1; }

# The store passes `linnet ota check` (recovery, every slot verifies, the active
# bundle loads), once an installer a kill left running has let go of the store.
store_loads() {
  "$LINNET" ota check --store "$STORE" --pubkey "$FIX/vendor.pub" --wait 60 >/dev/null 2>"$FLEET_WORK/check.$$.err"
}

expect_active() {  # expect_active SHA WHAT
  local now
  now=$(active_sha)
  if [ "$now" = "$1" ]; then log "ok: active is $2"; else fail "active bundle is '${now:0:12}', expected $2 (${1:0:12})"; fi
}

expect_in() {  # expect_in FILE TEXT WHAT
  if grep -qF -- "$2" "$1"; then log "ok: $3"; else fail "$3: '$2' not found in $1:"; sed 's/^/    /' "$1" | tail -n 20; fi
}

# pids of the children of PID, then theirs (from /proc, with bash builtins only: this
# runs in polling loops, and minbase has no ps).
descendants() {
  local stat line rest pid
  local -a f
  for stat in /proc/[0-9]*/stat; do
    { read -r line < "$stat"; } 2>/dev/null || continue
    rest=${line##*) }
    read -ra f <<< "$rest"
    if [ "${f[1]}" = "$1" ]; then
      pid=${stat#/proc/}
      pid=${pid%/stat}
      echo "$pid"
      descendants "$pid"
    fi
  done
}

# pid of a process whose command line contains all of the given words (NULs read as
# spaces), or nothing.
find_process() {
  local f cmd pid want ok
  local -a args
  for f in /proc/[0-9]*/cmdline; do
    { mapfile -d '' -t args < "$f"; } 2>/dev/null || continue
    cmd="${args[*]} "
    ok=1
    for want in "$@"; do
      case "$cmd" in *"$want"*) ;; *) ok=0; break ;; esac
    done
    if [ "$ok" = 1 ]; then
      pid=${f#/proc/}
      echo "${pid%/cmdline}"
      return 0
    fi
  done
  return 1
}

# await_process CLIENT WORDS...: the pid of the process matching WORDS (find_process) once it
# appears, or nothing if CLIENT (the manager's process) ends first or it never does.
await_process() {
  local client=$1 pid
  shift
  for _ in $(seq 1 3000); do
    pid=$(find_process "$@") && { echo "$pid"; return 0; }
    kill -0 "$client" 2>/dev/null || return 1
  done
  return 1
}

# kill_tree PID: kill -9 of PID and every process below it.
kill_tree() {
  # shellcheck disable=SC2046
  kill -9 "$1" $(descendants "$1") 2>/dev/null
}

# Is a `linnet ota install` into this device's store running?
installer_running() { find_process "ota install " "--store $STORE " >/dev/null; }

# A signed update of the tiny model at VERSION, alternating two bundles so that
# consecutive versions differ in bytes: odd versions carry the q8 bundle, even the f16.
# sign_update VERSION OUT [extra sign options]
sign_update() {
  local v=$1 out=$2 bundle
  shift 2
  if [ $((v % 2)) -eq 1 ]; then bundle=$FIX/tiny-q8.linnet; else bundle=$FIX/tiny-f16.linnet; fi
  "$LINNET_CONVERT" sign "$bundle" --key "$FIX/vendor.key" --version "$v" --name tiny -o "$out" "$@" >/dev/null ||
    die "linnet-convert sign v$v failed"
}
sha_of_version() {
  if [ $(($1 % 2)) -eq 1 ]; then bundle_sha "$FIX/tiny-q8.linnet"; else bundle_sha "$FIX/tiny-f16.linnet"; fi
}

# Seconds one `linnet-fleet install` of UPDATE takes here (on a scratch store that holds
# the current model): the kill tests spread their kill moments over it, so they land in
# every phase whatever the build's speed (the sanitizer build is several times slower).
# kill_delays UPDATE -> delays in seconds, one per line, from 0 to 110% of that time.
kill_delays() {
  local scratch=$FLEET_WORK/measure.$$ t0 t1 conf=$LINNET_FLEET_CONF
  rm -rf "$scratch"
  mkdir -p "$scratch"
  cp -a "$STORE" "$scratch/store"
  sed "s|^LINNET_STORE=.*|LINNET_STORE=$scratch/store|" "$conf" > "$scratch/fleet.conf"
  t0=$(date +%s.%N)
  LINNET_FLEET_CONF=$scratch/fleet.conf "$LINNET_FLEET" install "$1" "$scratch/work" > /dev/null 2>&1 ||
    die "measuring: linnet-fleet install $1 failed"
  t1=$(date +%s.%N)
  rm -rf "$scratch"
  log "one linnet-fleet install takes $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') s here" >&2
  awk -v a="$t0" -v b="$t1" 'BEGIN { for (p = 0; p <= 110; p += 10) printf "%.3f\n", (b - a) * p / 100 }'
}

finish() {
  if [ "$failures" -gt 0 ]; then
    log "$failures check(s) failed"
    exit 1
  fi
  log "all checks passed"
  exit 0
}
