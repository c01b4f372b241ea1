#!/usr/bin/env bash
# Linnet build environment: Debian 13 (trixie) with the whole toolchain (gcc 14, XNNPACK
# 2024-11, pthreadpool, cpuinfo, FlatBuffers 23.5, mbedTLS 3.6, utf8proc, GoogleTest,
# nlohmann-json, clang for libFuzzer, the aarch64 cross compiler with arm64 libraries,
# qemu-user).
#
#   toolchains/trixie-root.sh setup        make sure the environment is there (idempotent)
#   toolchains/trixie-root.sh run CMD...   run CMD in it, in the current directory
#   toolchains/trixie-root.sh shell        an interactive shell in it
#   toolchains/trixie-root.sh status       say which environment is used and whether it is ready
#
# Two modes:
# - Native: on a trixie host (Debian 13, Raspberry Pi OS trixie), or with LINNET_NATIVE=1,
#   or when already inside the root, the system packages are used directly. `setup`
#   installs any missing package (as root; otherwise it prints the apt-get line), `run`
#   just runs CMD. On an arm64 host only the native packages are needed.
# - Build root (any other Debian or Ubuntu host, as root): a trixie chroot made with
#   `debootstrap --variant=minbase` in $LINNET_ROOT (default <repo>/.buildroot/trixie).
#   `run` enters it in a private mount and PID namespace (unshare): the source tree and
#   the reference data directory are bind-mounted at their own absolute paths, proc and
#   sysfs are mounted (cpuinfo reads both; XNNPACK does not initialise without them).
#   The caller's paths work as written: the current directory, and for every argument
#   that names a path (absolute, or relative with a '/'; also the VALUE of --opt=VALUE
#   and of `env VAR=VALUE`) the nearest existing directory (the path itself when it is a
#   directory, else the folder it is or would be in) are bind-mounted at their own paths
#   too, and CMD starts in the current directory. A directory that is part of the root's
#   own system (/etc, /usr, /var/lib, ...) is never covered up: such a path is reported as
#   not visible. Mount points made for them are removed again when CMD ends.
#   When CMD ends, or this script is killed, the namespace dies and every mount with it:
#   nothing stays mounted on the host, even on failure. LINNET_NATIVE=0 forces this mode.
#
# Idempotence: the root records a hash of the package list and of this recipe
# ($root/etc/linnet-packages.sha256) only after apt succeeded. A root whose hash matches is
# reused as is; any other root (new package list, or an earlier failed or interrupted
# install) is repaired and re-installed under a lock, so concurrent callers wait instead of
# racing, and a half-installed root is never trusted. A failed debootstrap leaves only
# $root.partial, which the next setup discards.
#
# Environment:
#   LINNET_ROOT        where the root lives (default <repo>/.buildroot/trixie); put it outside
#                      the clone to share one root between clones
#   LINNET_SHARED_DIR  reference data (default <repo>/../shared), visible inside the root
#   LINNET_MIRROR      Debian mirror (default http://deb.debian.org/debian)
#   LINNET_NATIVE      1: always native, 0: always the build root, unset: detect
# Passed into the root: LINNET_*, CTEST_*, GTEST_*, ASAN/UBSAN/LSAN_OPTIONS,
# CMAKE_BUILD_PARALLEL_LEVEL, CI, TERM. Everything else starts clean.
set -euo pipefail

# The body is one function called on the last line, so bash has read all of it before it
# runs anything: editing this file while a long `run` is in progress is safe.
main() {
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=$(realpath -m -- "${LINNET_SHARED_DIR:-$here/../shared}")
root=${LINNET_ROOT:-$here/.buildroot/trixie}
mirror=${LINNET_MIRROR:-http://deb.debian.org/debian}
suite=trixie
# Bump when the way the root is made changes, so existing roots are refreshed.
recipe=2

# Everything a native build on the board or workstation needs.
packages_native=(
  g++ cmake ninja-build pkg-config git ca-certificates python3
  libxnnpack-dev libpthreadpool-dev libcpuinfo-dev
  libflatbuffers-dev flatbuffers-compiler
  libmbedtls-dev libutf8proc-dev libgtest-dev nlohmann-json3-dev
  clang libclang-rt-dev
)
# Cross compilation for the boards from a non-arm64 host. libpthreadpool-dev and
# libcpuinfo-dev are not co-installable across architectures: the arm64 side takes the
# runtime libraries (.so.0) and shares the host's (identical) headers; cmake/LinnetDeps.cmake
# finds them by exact name.
packages_cross=(
  g++-aarch64-linux-gnu qemu-user
  libxnnpack-dev:arm64 libxnnpack0.20241108:arm64 libpthreadpool0:arm64 libcpuinfo0:arm64
  libflatbuffers-dev:arm64 libmbedtls-dev:arm64 libutf8proc-dev:arm64 libgtest-dev:arm64
  libstdc++-14-dev:arm64
)
# Fleet managers whose real clients the `fleet` tests drive (tests/fleet/, docs/fleet.md):
# Mender's client and artifact tool, RAUC, SWUpdate, and what building their update
# containers needs (squashfs for .raucb, cpio for .swu, openssl for the signing keys).
packages_fleet=(
  mender-client mender-artifact rauc swupdate
  squashfs-tools cpio openssl
)

case "${1:-}" in
  setup) setup ;;
  run)
    shift
    [ $# -gt 0 ] || die "usage: $0 run CMD..."
    setup
    if native_mode; then exec "$@"; fi
    in_root bg "$@"
    ;;
  shell)
    setup
    if native_mode; then exec bash; fi
    in_root fg bash
    ;;
  status) status ;;
  *) die "usage: $0 setup | run CMD... | shell | status" ;;
esac
}

die() { echo "trixie-root: $*" >&2; exit 1; }
say() { echo "trixie-root: $*" >&2; }

native_mode() {
  [ "${LINNET_IN_ROOT:-}" = 1 ] && return 0
  case "${LINNET_NATIVE:-}" in
    1) return 0 ;;
    0) return 1 ;;
  esac
  # shellcheck disable=SC1091
  [ -r /etc/os-release ] && (. /etc/os-release && [ "${VERSION_CODENAME:-}" = "$suite" ])
}

# The packages this host needs in native mode: no cross tools on an arm64 host.
native_package_list() {
  if [ "$(dpkg --print-architecture 2>/dev/null)" = arm64 ]; then
    printf '%s\n' "${packages_native[@]}" "${packages_fleet[@]}"
  else
    printf '%s\n' "${packages_native[@]}" "${packages_fleet[@]}" "${packages_cross[@]}"
  fi
}

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || echo "$p"
  done
}

setup() {
  if native_mode; then setup_native; else setup_root; fi
}

setup_native() {
  [ "${LINNET_IN_ROOT:-}" = 1 ] && return 0
  local wanted missing
  mapfile -t wanted < <(native_package_list)
  mapfile -t missing < <(missing_packages "${wanted[@]}")
  [ ${#missing[@]} -eq 0 ] && return 0
  local arch_step=""
  if printf '%s\n' "${missing[@]}" | grep -q ':arm64$'; then
    arch_step="dpkg --add-architecture arm64 && "
  fi
  if [ "$(id -u)" != 0 ]; then
    die "native trixie build: missing packages. Install them with:
  sudo sh -c '${arch_step}apt-get update && apt-get install -y --no-install-recommends ${missing[*]}'"
  fi
  say "installing ${#missing[@]} missing packages on this trixie host: ${missing[*]}"
  [ -n "$arch_step" ] && dpkg --add-architecture arm64
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The root has the host's architecture (debootstrap's default), so it needs what a native
# build on this host needs: on an arm64 host (a Jetson on Ubuntu) no cross tools.
root_hash() {
  { printf '%s\n' "recipe $recipe" "suite $suite"; native_package_list; } | sha256sum | cut -d' ' -f1
}

root_ready() {
  [ -x "$root/usr/bin/apt-get" ] && [ "$(cat "$root/etc/linnet-packages.sha256" 2>/dev/null)" = "$1" ]
}

setup_root() {
  local want
  want=$(root_hash)
  root_ready "$want" && return 0
  [ "$(id -u)" = 0 ] || die "the build root needs root (debootstrap, chroot, mount namespaces); on a trixie host use LINNET_NATIVE=1"
  case "$root" in /|"$here"|"$here"/|"") die "refusing LINNET_ROOT=$root" ;; esac
  mkdir -p "$(dirname "$root")"
  local lock
  exec {lock}>"$root.lock"
  if ! flock -n "$lock"; then
    say "another setup holds $root.lock; waiting"
    flock "$lock"
  fi
  if root_ready "$want"; then
    exec {lock}>&-
    return 0
  fi
  [ -x "$root/usr/bin/apt-get" ] || bootstrap
  # From here until the new hash is written the root is not trusted by anyone.
  rm -f "$root/etc/linnet-packages.sha256"
  install_into_root
  echo "$want" > "$root/etc/linnet-packages.sha256.new"
  mv "$root/etc/linnet-packages.sha256.new" "$root/etc/linnet-packages.sha256"
  exec {lock}>&-
  say "build root ready: $root"
}

host_tools() {
  local need=()
  command -v debootstrap >/dev/null || need+=(debootstrap)
  [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
  command -v unshare >/dev/null && command -v flock >/dev/null || need+=(util-linux)
  [ ${#need[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "need ${need[*]} and this host has no apt-get"
  say "installing ${need[*]} on the host"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
}

bootstrap() {
  host_tools
  local args=(--variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
  local script=()
  # An older debootstrap without a trixie script still knows sid, which works the same.
  [ -e "/usr/share/debootstrap/scripts/$suite" ] || script=(/usr/share/debootstrap/scripts/sid)
  # A directory without apt-get is not a usable root (an earlier, broken attempt).
  if [ -e "$root" ]; then
    say "discarding unusable $root"
    rm -rf --one-file-system "$root"
  fi
  rm -rf --one-file-system "$root.partial"
  say "debootstrap $suite into $root (the first time only: about 2 minutes; log: $root.debootstrap.log)"
  if ! debootstrap "${args[@]}" "$suite" "$root.partial" "$mirror" "${script[@]}" \
      > "$root.debootstrap.log" 2>&1; then
    tail -n 20 "$root.debootstrap.log" >&2
    die "debootstrap failed; $root.partial is left for inspection and will be discarded by the next setup"
  fi
  mv "$root.partial" "$root"
}

install_into_root() {
  local all
  mapfile -t all < <(native_package_list)
  say "installing ${#all[@]} packages into the root (about 400 MB of downloads, 3 minutes; log: $root.apt.log)"
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  # dpkg --configure -a and apt-get -f finish whatever an interrupted earlier install left.
  if ! (cd "$here" && in_root bg bash -c '
      set -e
      export DEBIAN_FRONTEND=noninteractive
      if printf "%s\n" "$@" | grep -q ":arm64\$"; then dpkg --add-architecture arm64; fi
      echo force-unsafe-io > /etc/dpkg/dpkg.cfg.d/90linnet  # a build root needs no fsync
      printf "%s\n" "APT::Install-Recommends \"false\";" "Acquire::Retries \"3\";" \
        > /etc/apt/apt.conf.d/90linnet
      dpkg --configure -a
      apt-get update -q
      apt-get install -y -q -f
      apt-get install -y -q "$@"
      apt-get clean' linnet-install "${all[@]}") > "$root.apt.log" 2>&1; then
    tail -n 30 "$root.apt.log" >&2
    die "apt-get failed inside $root; the root is marked untrusted and the next setup retries"
  fi
}

# The nearest existing directory of a path: the path itself when it is a directory, else
# the folder it is in, or would be in once created (`-o /x/y/vendor` -> /x/y).
nearest_dir() {
  local p
  p=$(realpath -m -s -- "$1")
  while [ ! -d "$p" ]; do p=$(dirname -- "$p"); done
  printf '%s\n' "$p"
}

# Adds host directory $1 to `binds` (in_root's) unless it is visible already. Returns 1
# when it cannot be shown without covering a part of the root's own system: a directory
# that exists in the root with files in it, other than the scratch and home folders.
add_bind() {
  local dir
  dir=$(realpath -m -s -- "$1")
  case "$dir/" in
    "$here"/*|"$shared"/*) return 0 ;;
  esac
  local b
  for b in "${binds[@]}"; do
    case "$dir/" in "$b"/*) return 0 ;; esac
  done
  [ "$dir" != / ] || return 1
  if [ -e "$root$dir" ]; then
    case "$dir" in
      /tmp|/tmp/*|/home|/home/*|/root|/root/*|/mnt|/mnt/*|/media|/media/*|/srv|/srv/*|/opt|/opt/*) ;;
      *)
        # Only empty folders (mount points made by earlier runs) may be covered.
        [ -d "$root$dir" ] && [ -z "$(find "$root$dir" -xdev ! -type d -print -quit 2>/dev/null)" ] || return 1
        ;;
    esac
  fi
  # Keep the list free of folders inside this one, shortest first.
  local kept=()
  for b in "${binds[@]}"; do
    case "$b/" in "$dir"/*) ;; *) kept+=("$b") ;; esac
  done
  binds=()
  while IFS= read -r b; do [ -n "$b" ] && binds+=("$b"); done < <(
    printf '%s\n' "${kept[@]}" "$dir" | awk '{ print length($0) "\t" $0 }' | sort -n | cut -f2-)
  return 0
}

# Runs "$@" inside the root (see the header for what is mounted and why nothing leaks).
# in_root fg CMD...: exec (for an interactive shell: Ctrl-C belongs to it).
# in_root bg CMD...: supervised. util-linux unshare --fork ignores SIGINT and SIGTERM
# itself, so a signal sent to this script would leave the namespace running; instead this
# script traps it and SIGKILLs unshare, and --kill-child makes the kernel kill the
# namespace's PID 1, which kills every process in it and so releases every mount.
in_root() {
  local mode=$1
  shift
  [ "$(id -u)" = 0 ] || die "entering the build root needs root (mount namespaces, chroot); on a trixie host use LINNET_NATIVE=1"
  local cwd=$PWD
  # The caller's folders (see the header): the current one and those the arguments name.
  local binds=() arg path
  if ! add_bind "$cwd"; then
    say "$cwd is not visible inside the root (it is part of the root's own system); running in $here"
    cwd=$here
  fi
  for arg in "$@"; do
    path=$arg
    case "$arg" in *=*) path=${arg#*=} ;; esac  # --opt=VALUE, env VAR=VALUE
    case "$path" in
      *$'\n'*|"") continue ;;
      /*) ;;
      */*) path=$cwd/$path ;;
      *) continue ;;
    esac
    # A path the root itself has (/usr/bin/cmake) is meant as the root's own.
    add_bind "$(nearest_dir "$path")" || [ -e "$root$path" ] ||
      say "$arg is not visible inside the root ($(nearest_dir "$path") is part of the root's own system)"
  done
  local passenv=() name
  for name in $(compgen -e); do
    case "$name" in
      LINNET_*|CTEST_*|GTEST_*|ASAN_OPTIONS|UBSAN_OPTIONS|LSAN_OPTIONS|CMAKE_BUILD_PARALLEL_LEVEL|CI|TERM)
        passenv+=("$name=${!name}") ;;
    esac
  done
  if ! cmp -s /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null; then
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  fi
  # The inner bash is PID 1 of the new PID namespace and stays so (no exec): it reaps, and
  # when CMD ends it exits, which ends the namespace with all its mounts.
  # shellcheck disable=SC2016  # the inner script expands its own arguments
  local inner='
    set -e
    root=$1 here=$2 shared=$3 cwd=$4 npass=$5
    shift 5
    passenv=("${@:1:$npass}")
    shift "$npass"
    nbind=$1
    shift
    binds=("${@:1:$nbind}")
    shift "$nbind"
    mount --make-rprivate /
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --rbind /dev "$root/dev"
    # The caller'"'"'s folders first (shortest first), so the tree and the data mounted
    # below stay on top of any of them that contains those.
    # Folders made here only as mount points are removed again afterwards (made: the
    # topmost one of each), so the root does not collect the caller'"'"'s folder names.
    made=()
    for dir in "${binds[@]}"; do
      if [ ! -e "$root$dir" ]; then
        top=$dir
        while [ ! -e "$root$(dirname "$top")" ]; do top=$(dirname "$top"); done
        made+=("$top")
      fi
      mkdir -p "$root$dir"
      mount --bind "$dir" "$root$dir"
    done
    mkdir -p "$root$here" "$root/tmp"
    mount --bind "$here" "$root$here"
    if [ -d "$shared" ]; then
      mkdir -p "$root$shared"
      mount --bind "$shared" "$root$shared"
    fi
    rc=0
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      "${passenv[@]}" LINNET_IN_ROOT=1 LINNET_SHARED_DIR="$shared" \
      /bin/bash -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@" || rc=$?
    for top in "${made[@]}"; do
      for dir in "${binds[@]}"; do
        case "$dir/" in "$top"/*) ;; *) continue ;; esac
        umount -l "$root$dir" 2>/dev/null || true
        mountpoint -q "$root$dir" && continue
        d=$dir
        while rmdir "$root$d" 2>/dev/null && [ "$d" != "$top" ]; do d=$(dirname "$d"); done
      done
    done
    exit "$rc"'
  local ns_cmd=(unshare --mount --pid --fork --kill-child -- bash -c "$inner" linnet-root
                "$root" "$here" "$shared" "$cwd" "${#passenv[@]}" "${passenv[@]}"
                "${#binds[@]}" "${binds[@]}" "$@")
  if [ "$mode" = fg ]; then
    exec "${ns_cmd[@]}"
  fi
  # <&0: a background job would otherwise get /dev/null as its standard input.
  "${ns_cmd[@]}" <&0 &
  ns_pid=$!
  trap 'kill -KILL "$ns_pid" 2>/dev/null || true; wait "$ns_pid" 2>/dev/null || true; exit 130' INT
  trap 'kill -KILL "$ns_pid" 2>/dev/null || true; wait "$ns_pid" 2>/dev/null || true; exit 143' TERM
  trap 'kill -KILL "$ns_pid" 2>/dev/null || true; wait "$ns_pid" 2>/dev/null || true; exit 129' HUP
  local rc=0
  wait "$ns_pid" || rc=$?
  trap - INT TERM HUP
  return "$rc"
}

status() {
  if native_mode; then
    local wanted missing
    mapfile -t wanted < <(native_package_list)
    mapfile -t missing < <(missing_packages "${wanted[@]}")
    echo "mode: native (trixie host or LINNET_NATIVE=1)"
    echo "missing packages: ${missing[*]:-none}"
  else
    echo "mode: build root"
    echo "root: $root"
    if root_ready "$(root_hash)"; then echo "state: ready"
    elif [ -x "$root/usr/bin/apt-get" ]; then echo "state: needs package refresh (setup will do it)"
    else echo "state: absent (setup will debootstrap it)"; fi
  fi
  echo "source: $here"
  echo "shared: $shared$([ -d "$shared" ] || echo ' (missing: golden tests cannot run)')"
}

main "$@"; exit $?
