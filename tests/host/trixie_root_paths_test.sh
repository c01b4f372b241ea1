#!/usr/bin/env bash
# The host workflow on a non-trixie host: a user's paths outside the clone work through
# toolchains/trixie-root.sh `run` and the tools/linnet wrappers, and tools/demo.sh runs
# from another folder. Runs on the host (not inside the root), as root where the build
# root is used; tools/test.sh runs it before entering the root and lists its result.
#
#   tests/host/trixie_root_paths_test.sh          the path checks (a few seconds)
#   LINNET_TEST_DEMO=1 tests/host/...             also tools/demo.sh from another folder,
#                                                 twice: the second run keeps the bundle
# With the host build present (build/host), the wrappers are run on real files too.
# Exit 0: all passed; 1: a check failed (each failure is printed); 77: cannot run here.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
root_sh=$repo/toolchains/trixie-root.sh
build=$repo/${LINNET_BUILD_DIR:-build}
case "${LINNET_BUILD_DIR:-}" in /*) build=$LINNET_BUILD_DIR ;; esac

if [ "$(id -u)" != 0 ] && ! "$root_sh" status 2>/dev/null | grep -q '^mode: native'; then
  echo "host paths test: skipped (the build root needs root)"
  exit 77
fi

failures=0 checks=0
pass() { checks=$((checks + 1)); }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL: $*"; }
expect_eq() {  # what got want
  if [ "$2" = "$3" ]; then pass; else fail "$1: got '$2', want '$3'"; fi
}
expect_has() {  # what text part
  case "$2" in *"$3"*) pass ;; *) fail "$1: '$3' not in: $2" ;; esac
}

# Two places outside the clone: beside it (like /work/x or /srv/data) and under /tmp.
beside=$(mktemp -d "$(dirname "$repo")/linnet-paths-test.XXXXXX")
scratch=$(mktemp -d /tmp/linnet-paths-test.XXXXXX)
trap 'rm -rf "$beside" "$scratch"' EXIT
mkdir -p "$beside/in" "$scratch/sub"
echo beside-data > "$beside/in/data.txt"
echo scratch-data > "$scratch/sub/data.txt"

run() { "$root_sh" run "$@"; }

# An absolute path outside the clone, read; and one written into an existing folder.
expect_eq "read an absolute path beside the clone" "$(run cat "$beside/in/data.txt" 2>&1)" beside-data
expect_eq "read an absolute path under /tmp" "$(run cat "$scratch/sub/data.txt" 2>&1)" scratch-data
run touch "$beside/in/new-file" && [ -f "$beside/in/new-file" ] && pass ||
  fail "write a new file into an existing folder outside the clone"
# A path whose folders do not exist yet: the nearest existing folder is shown.
run mkdir -p "$beside/out/deeper" && [ -d "$beside/out/deeper" ] && pass ||
  fail "make folders under an existing folder outside the clone"
# --opt=VALUE.
expect_eq "--opt=/path" "$(run bash -c 'cat "${1#*=}"' x "--in=$beside/in/data.txt" 2>&1)" beside-data
# The current folder: the command starts there, and relative paths work.
expect_eq "start in the caller's folder" "$(cd "$beside" && run pwd 2>&1)" "$beside"
expect_eq "a relative path from the caller's folder" "$(cd "$beside" && run cat in/data.txt 2>&1)" beside-data
expect_eq "a relative path with ../" "$(cd "$beside/in" && run cat ../in/data.txt 2>&1)" beside-data
# The root's own system folders are never covered; such a path is said not to be visible.
expect_has "a system folder is not covered" "$(run true /etc/linnet-paths-test/x 2>&1)" \
  "is not visible inside the root (/etc is part of the root's own system)"
run test -x /usr/bin/cmake && pass || fail "the root's /usr is intact"

# The wrappers, with the host build.
if [ -x "$build/host/runtime/cli/linnet" ] && [ -x "$build/host/converter/tool/linnet-convert" ]; then
  out=$("$repo/tools/linnet-convert" keygen -o "$beside/out/vendor" 2>&1)
  [ -f "$beside/out/vendor.pub" ] && pass || fail "tools/linnet-convert keygen -o $beside/out/vendor: $out"
  bundle=$(ls "$build/host/demo/"*.linnet 2>/dev/null | head -n 1)
  if [ -z "$bundle" ]; then
    shared=$(realpath -m -- "${LINNET_SHARED_DIR:-$repo/../shared}")
    "$repo/tools/linnet-convert" "$shared/models/qwen35-tiny-a" -o "$beside/in/m.linnet" --quant f32 > /dev/null 2>&1 ||
      fail "tools/linnet-convert $shared/models/qwen35-tiny-a -o $beside/in/m.linnet"
  else
    cp "$bundle" "$beside/in/m.linnet"
  fi
  expect_has "tools/linnet info on an absolute path" "$("$repo/tools/linnet" info "$beside/in/m.linnet" 2>&1)" \
    "bundle       $beside/in/m.linnet"
  expect_has "tools/linnet info on a relative path" "$(cd "$beside" && "$repo/tools/linnet" info in/m.linnet 2>&1)" \
    "bundle       in/m.linnet"
else
  echo "host paths test: no host build in $build/host; the wrappers are not run"
fi

# tools/demo.sh from another folder, twice: the second run converts nothing.
if [ "${LINNET_TEST_DEMO:-0}" = 1 ]; then
  first=$(cd "$scratch" && "$repo/tools/demo.sh" 2>&1) || fail "tools/demo.sh from $scratch: $(tail -n 20 <<< "$first")"
  expect_has "the demo ends with where the bundle is" "$first" "bundle:"
  bundle=$(sed -n 's/^bundle: *\([^ ]*\).*/\1/p' <<< "$first" | head -n 1)
  hash1=$(sha256sum < "$bundle" | cut -d' ' -f1)
  second=$(cd "$scratch" && "$repo/tools/demo.sh" 2>&1) || fail "tools/demo.sh again: $(tail -n 20 <<< "$second")"
  expect_has "the second demo run converts nothing" "$second" "up to date"
  expect_eq "the bundle's file hash after a rerun" "$(sha256sum < "$bundle" | cut -d' ' -f1)" "$hash1"
fi

if [ "$failures" = 0 ]; then
  echo "host paths test: $checks checks passed"
  exit 0
fi
echo "host paths test: $failures of $checks checks failed"
exit 1
