#!/usr/bin/env bash
# Linnet build root: a Debian 13 (trixie) chroot that holds the whole toolchain
# (gcc 14, XNNPACK 2024-11, FlatBuffers 23.5, mbedTLS 3.6, aarch64 cross compiler,
# arm64 multiarch libraries, qemu-user, clang for fuzzing).
#
#   toolchains/trixie-root.sh setup          create or refresh the root (idempotent)
#   toolchains/trixie-root.sh run CMD...     run CMD inside it, in the current directory
#
# On a trixie host (Raspberry Pi OS trixie, a trixie workstation) none of this is
# needed: install the same packages (listed below) and run CMD directly.
#
# The root lives in $LINNET_ROOT (default: <repo>/.buildroot/trixie). `run` works in a
# private mount namespace (unshare --mount): the source tree and ../shared are
# bind-mounted at their own absolute paths, proc and sysfs are mounted (cpuinfo reads
# both; XNNPACK fails to initialise without them), and everything is unmounted when the
# namespace ends, whatever CMD does.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=$(cd "$here/.." && pwd)/shared
root=${LINNET_ROOT:-$here/.buildroot/trixie}
mirror=${LINNET_MIRROR:-http://deb.debian.org/debian}

# Host-architecture packages, then the arm64 libraries the cross build links against.
# libpthreadpool-dev and libcpuinfo-dev are not co-installable across architectures:
# the arm64 side takes the runtime libraries and shares the (identical) headers.
packages=(
  g++ cmake ninja-build pkg-config git ca-certificates python3
  libxnnpack-dev libpthreadpool-dev libcpuinfo-dev
  libflatbuffers-dev flatbuffers-compiler
  libmbedtls-dev libutf8proc-dev libgtest-dev nlohmann-json3-dev
  clang libclang-rt-dev
  g++-aarch64-linux-gnu qemu-user
  libxnnpack-dev:arm64 libxnnpack0.20241108:arm64 libpthreadpool0:arm64 libcpuinfo0:arm64
  libflatbuffers-dev:arm64 libmbedtls-dev:arm64 libutf8proc-dev:arm64 libgtest-dev:arm64
  libstdc++-14-dev:arm64
)

die() { echo "trixie-root: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mount namespaces)"

setup() {
  if [ ! -x "$root/usr/bin/apt-get" ]; then
    command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
    echo "trixie-root: debootstrap trixie into $root"
    rm -rf "$root.partial"
    mkdir -p "$(dirname "$root")"
    debootstrap --variant=minbase trixie "$root.partial" "$mirror" >/dev/null
    mv "$root.partial" "$root"
  fi
  local want have
  want=$(printf '%s\n' "${packages[@]}" | sha256sum | cut -d' ' -f1)
  have=$(cat "$root/etc/linnet-packages.sha256" 2>/dev/null || true)
  if [ "$want" = "$have" ]; then
    return 0
  fi
  echo "trixie-root: installing ${#packages[@]} packages"
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  in_root bash -c "set -e
    export DEBIAN_FRONTEND=noninteractive
    dpkg --add-architecture arm64
    printf 'APT::Install-Recommends \"false\";\n' > /etc/apt/apt.conf.d/90linnet
    apt-get update -qq
    apt-get install -y -qq ${packages[*]} >/dev/null"
  echo "$want" > "$root/etc/linnet-packages.sha256"
}

# Runs "$@" in the root with proc, sysfs, /dev, the tree and ../shared mounted, inside a
# private mount namespace, so nothing stays mounted afterwards.
in_root() {
  local cwd=$PWD
  case "$cwd" in "$here"*|"$shared"*) ;; *) cwd=$here ;; esac
  unshare --mount --fork bash -c '
    set -e
    root=$1 here=$2 shared=$3 cwd=$4; shift 4
    mount --make-rprivate /
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    mount --rbind /dev "$root/dev"
    mkdir -p "$root$here" "$root$shared" "$root/tmp"
    mount --bind "$here" "$root$here"
    [ -d "$shared" ] && mount --bind "$shared" "$root$shared"
    exec chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      LINNET_IN_ROOT=1 /bin/bash -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
  ' linnet-root "$root" "$here" "$shared" "$cwd" "$@"
}

case "${1:-}" in
  setup) setup ;;
  run) shift; [ $# -gt 0 ] || die "usage: $0 run CMD..."; setup; in_root "$@" ;;
  *) die "usage: $0 setup | run CMD..." ;;
esac
