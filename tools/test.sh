#!/usr/bin/env bash
# The test command: sets up the Debian 13 (trixie) build environment, then configures,
# builds and tests each configuration in it and prints a summary.
#
#   sudo tools/test.sh                  host-asan rpi4:board rpi5:board fuzz (what CI runs;
#                                       on an arm64 host: host-asan host fuzz)
#   sudo tools/test.sh host rpi4        everything, natively and under qemu (~25 min more)
#   sudo tools/test.sh host rpi5        only these
#   tools/test.sh --list                the configurations
#
# Configurations (CMakePresets.json):
#   host         native release build, all tests
#   host-asan    native build with AddressSanitizer + UndefinedBehaviorSanitizer, all tests
#   <board>      for each boards/<board>.board that names a qemu_cpu (rpi4 rpi5 jetson-orin):
#                cross build for the board; ctest runs every test under
#                qemu-aarch64 -cpu <the board's qemu_cpu>
#   <board>-native
#                on the board itself: native build with the board's flags
#   fuzz         clang libFuzzer targets (tests/fuzz), each for LINNET_FUZZ_SECONDS
# Any of them with ":board" (e.g. rpi5:board) builds and runs only the tests labelled
# "board": kernels, platform checks, executor, golden forward pass, the code that differs
# between targets. The default set runs every test under the sanitizers, and the board
# tests of each board whose file says `ci = board` (rpi4, rpi5: each Pi's compiler flags
# and qemu CPU model): it takes about 25 to 35 minutes on two cores, where every test in every
# configuration would take over 45.
#
# First, inside the build environment, the source checks (seconds, python3): the board
# presets in CMakePresets.json match boards/*.board (tools/board-presets.py --check), and
# no #include goes up the layers of runtime/README.md (tools/check-layers.py).
#
# Before entering the build environment it checks the host workflow on this host
# (tests/host/trixie_root_paths_test.sh: paths outside the clone through
# toolchains/trixie-root.sh and tools/linnet; a few seconds), listed as host-paths.
#
# Root is needed on a non-trixie host (the build root uses debootstrap, chroot and mount
# namespaces); on a trixie host with the packages installed it is not.
#
# Environment:
#   LINNET_BUILD_DIR      where the build trees go (default: build, i.e. build/<preset>)
#   LINNET_JOBS           parallel compile and test jobs (default: all cores)
#   LINNET_FUZZ_SECONDS   how long each fuzz target runs (default 20)
#   LINNET_FUZZ_SEED      libFuzzer seed (default 1: the same exploration each run; 0: random)
#   LINNET_TEST_TIMEOUT   per-test timeout in seconds (default 1500; tests under qemu are slow)
#   and those of toolchains/trixie-root.sh (LINNET_ROOT, LINNET_SHARED_DIR, ...).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# A board file's value for a key (boards/README.md: `key = value` lines), empty if absent.
board_value() { sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*//p" "$1" | tail -n 1 | sed 's/[[:space:]]*$//'; }
# The cross boards: every boards/*.board with a qemu_cpu (not host.board).
cross_boards=()
for board_file in "$repo"/boards/*.board; do
  if [ -n "$(board_value "$board_file" qemu_cpu)" ]; then cross_boards+=("$(basename "$board_file" .board)"); fi
done
all_configs=(host host-asan "${cross_boards[@]}" "${cross_boards[@]/%/-native}" fuzz)

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
  exit "${1:-0}"
}

default_configs() {
  if [ "$(uname -m)" = aarch64 ]; then
    echo host-asan host fuzz
  else
    local board ci_boards=()
    for board in "${cross_boards[@]}"; do
      if [ "$(board_value "$repo/boards/$board.board" ci)" = board ]; then ci_boards+=("$board:board"); fi
    done
    echo host-asan "${ci_boards[@]}" fuzz
  fi
}

# Answered the same in either stage (tools_board_presets_test runs `--list` from inside
# stage 2, where LINNET_TEST_STAGE is already set).
case "${1:-}" in
  -h|--help) usage 0 ;;
  --list) printf '%s\n' "${all_configs[@]}"; exit 0 ;;
esac

# Stage 1 (on the host): make the environment, then run stage 2 inside it.
if [ "${LINNET_TEST_STAGE:-}" != inner ]; then
  for c in "$@"; do
    printf '%s\n' "${all_configs[@]}" | grep -qx -- "${c%:board}" ||
      { echo "test.sh: unknown configuration '$c' (try --list)" >&2; exit 2; }
  done
  "$repo/toolchains/trixie-root.sh" setup
  # The host workflow (paths outside the clone, tests/host/), a few seconds, run here on
  # the host; its result goes into the summary made inside.
  echo "=== host paths (tests/host/trixie_root_paths_test.sh) ==="
  host_paths_rc=0
  host_paths_out=$("$repo/tests/host/trixie_root_paths_test.sh" 2>&1) || host_paths_rc=$?
  printf '%s\n' "$host_paths_out"
  export LINNET_HOST_PATHS_RESULT="$host_paths_rc $(tail -n 1 <<< "$host_paths_out")"
  cd "$repo"
  export LINNET_TEST_STAGE=inner
  exec "$repo/toolchains/trixie-root.sh" run "$repo/tools/test.sh" "$@"
fi

# Stage 2 (inside the trixie environment).
cd "$repo"
read -r -a configs <<< "${*:-$(default_configs)}"
build_root=${LINNET_BUILD_DIR:-build}
jobs=${LINNET_JOBS:-$(nproc)}
fuzz_seconds=${LINNET_FUZZ_SECONDS:-20}
test_timeout=${LINNET_TEST_TIMEOUT:-1500}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

summary=()
failed=0

# The source checks (see the top of this file), one summary line each.
for check in board-presets check-layers; do
  args=()
  if [ "$check" = board-presets ]; then args=(--check); fi
  echo "=== check: tools/$check.py ${args[*]} ==="
  if python3 "tools/$check.py" "${args[@]}"; then result=ok; else result=FAILED; failed=1; fi
  summary+=("$(printf '%-20s %-9s %-7s %s' "$check" - - "$result")")
done

seconds_since() { echo $(( $(date +%s) - $1 )); }
fmt_time() { printf '%dm%02ds' $(( $1 / 60 )) $(( $1 % 60 )); }
# CPU seconds (user + system) used so far by this script's finished children, in the
# global cpu_now: the build and test cost independent of how busy the machine is. `times`
# must run in this shell, not in a $(...) subshell (which would report its own, empty,
# children), hence the file and the global.
cpu_file=$(mktemp)
trap 'rm -f "$cpu_file"' EXIT
read_cpu() {
  times > "$cpu_file"
  cpu_now=$(tail -n 1 "$cpu_file" | awk '{ s = 0; for (i = 1; i <= NF; i++) { split($i, p, "m"); s += p[1] * 60 + p[2] } printf "%d", s }')
}

# Sets the global `took` to "wall (cpu ...)" since the given start values.
took_since() {
  read_cpu
  took="$(fmt_time "$(seconds_since "$1")") (cpu $(fmt_time $(( cpu_now - $2 ))))"
}

# Runs one configuration; appends a line to `summary`; returns non-zero on any failure.
run_config() {
  local config=$1 preset=${1%:board} scope=all
  [ "$preset" != "$config" ] && scope=board
  [ "$preset" = fuzz ] && preset=host-fuzz
  local dir=$build_root/$preset
  local start cpu_start note="" tests_line=""
  start=$(date +%s)
  read_cpu
  cpu_start=$cpu_now
  mkdir -p "$dir"
  echo
  echo "=== $config: configure ($dir) ==="
  local extra=()
  [ "$config" = fuzz ] && extra=(-DLINNET_FUZZ_SECONDS="$fuzz_seconds" -DLINNET_FUZZ_SEED="${LINNET_FUZZ_SEED:-1}")
  if ! cmake --preset "$preset" -B "$dir" "${extra[@]}" > "$dir/test-configure.log" 2>&1; then
    tail -n 40 "$dir/test-configure.log"
    took_since "$start" "$cpu_start"
    summary+=("$(printf '%-20s %-9s %-7s %-34s %s' "$config" FAILED - - "$took")")
    return 1
  fi
  local emulator
  emulator=$(sed -n 's/^CMAKE_CROSSCOMPILING_EMULATOR:[A-Z]*=//p' "$dir/CMakeCache.txt" | tr ';' ' ')
  [ -n "$emulator" ] && note="tests under $emulator"

  echo "=== $config: build (-j$jobs) ==="
  local target=()
  [ "$config" = fuzz ] && target=(--target linnet_fuzzers)
  [ "$scope" = board ] && target=(--target linnet_board_tests)
  if ! cmake --build "$dir" -j "$jobs" "${target[@]}" > "$dir/test-build.log" 2>&1; then
    grep -E -B2 -A12 'error|FAILED' "$dir/test-build.log" | head -n 80
    echo "(full log: $dir/test-build.log)"
    took_since "$start" "$cpu_start"
    summary+=("$(printf '%-20s %-9s %-7s %-34s %s' "$config" ok FAILED - "$took")")
    return 1
  fi

  local label=() count
  if [ "$config" = fuzz ]; then
    label=(-L '^fuzz$')
    count=$(ctest --test-dir "$dir" -N "${label[@]}" | sed -n 's/^Total Tests: //p')
    if [ "${count:-0}" = 0 ]; then
      took_since "$start" "$cpu_start"
      summary+=("$(printf '%-20s %-9s %-7s %-34s %s' "$config" ok ok "no fuzz targets" "$took")")
      return 0
    fi
    note="$count targets x ${fuzz_seconds}s"
    echo "=== $config: fuzzing $count targets for ${fuzz_seconds}s each ==="
  else
    [ "$scope" = board ] && label=(-L '^board$')
    echo "=== $config: test${note:+ ($note)} ==="
  fi
  local rc=0
  ctest --test-dir "$dir" -j "$jobs" --timeout "$test_timeout" --output-on-failure "${label[@]}" \
    2>&1 | tee "$dir/test-ctest.log" || rc=$?
  tests_line=$(grep -E '^[0-9]+% tests passed' "$dir/test-ctest.log" | tail -n 1 || true)
  [ -n "$tests_line" ] || { tests_line="no tests ran"; rc=1; }
  if grep -q 'No tests were found' "$dir/test-ctest.log"; then tests_line="no tests found"; rc=1; fi
  local failed_names=""
  if [ -s "$dir/Testing/Temporary/LastTestsFailed.log" ] && [ "$rc" != 0 ]; then
    failed_names=$(cut -d: -f2 "$dir/Testing/Temporary/LastTestsFailed.log" | tr '\n' ' ')
  fi
  took_since "$start" "$cpu_start"
  summary+=("$(printf '%-20s %-9s %-7s %-34s %s' "$config" ok ok "$tests_line" "$took")${note:+   [$note]}${failed_names:+
                     failed: $failed_names}")
  return "$rc"
}

if [ -n "${LINNET_HOST_PATHS_RESULT:-}" ]; then
  case "${LINNET_HOST_PATHS_RESULT%% *}" in
    0) host_paths=ok ;;
    77) host_paths=skipped ;;
    *) host_paths=FAILED; failed=1 ;;
  esac
  summary+=("$(printf '%-20s %-9s %-7s %s' host-paths - - "$host_paths: ${LINNET_HOST_PATHS_RESULT#* }")")
fi

total_start=$(date +%s)
for config in "${configs[@]}"; do
  run_config "$config" || failed=1
done

echo
echo "=================================== Linnet test summary ==================================="
printf '%-20s %-9s %-7s %-34s %s\n' configuration configure build tests "wall (cpu) time"
for line in "${summary[@]}"; do echo "$line"; done
took_since "$total_start" 0
echo "total $took on $jobs jobs; build trees in $build_root/"
if [ "$failed" = 0 ]; then
  echo "RESULT: PASS"
else
  echo "RESULT: FAIL"
fi
exit "$failed"
