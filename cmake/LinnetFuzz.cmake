# Fuzz targets.
#
#   linnet_add_fuzzer(NAME SOURCES a_fuzz.cpp ... LIBS lib ... [SEEDS dir])
#
# A fuzz target defines `extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t)`
# (and optionally LLVMFuzzerInitialize). One source, two builds:
# - LINNET_FUZZ=ON (preset host-fuzz, clang): a libFuzzer executable with ASan+UBSan,
#   registered with ctest (label `fuzz`) to fuzz for LINNET_FUZZ_SECONDS. New inputs go
#   to <build>/fuzz/corpus/NAME, crashes to <build>/fuzz/artifacts/NAME-*; SEEDS (default
#   tests/fuzz/corpus/NAME when it exists) are read, never written. The aggregate target
#   `linnet_fuzzers` builds them all.
# - Otherwise (every gcc build, including host-asan and the boards under qemu): NAME_replay,
#   the same code linked with tests/fuzz/replay_main.cpp, registered as a test (labels
#   `unit fuzz-replay`) that feeds it the seed files plus deterministic pseudo-random
#   inputs. So fuzz targets always compile with the project's warnings and their seeds
#   run under the sanitizers.

set(LINNET_FUZZ_SECONDS 30 CACHE STRING "Seconds each fuzz target runs under ctest (-max_total_time)")
# A fixed seed by default: a CI run explores the same inputs each time, so it fails only
# when a change breaks something. 0 = a new random seed per run (libFuzzer's own default),
# for the long exploratory runs (tools/test.sh: LINNET_FUZZ_SEED=0 LINNET_FUZZ_SECONDS=600).
set(LINNET_FUZZ_SEED 1 CACHE STRING "libFuzzer -seed for the ctest fuzz runs (0: random)")

if(LINNET_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LINNET_FUZZ needs clang (libFuzzer): use the host-fuzz preset")
  endif()
  # Coverage instrumentation and sanitizers for everything the fuzzers link, so libFuzzer
  # sees the library code it is exploring.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
  add_custom_target(linnet_fuzzers)
endif()

function(linnet_add_fuzzer name)
  cmake_parse_arguments(F "" "SEEDS" "SOURCES;LIBS" ${ARGN})
  if(NOT F_SOURCES)
    message(FATAL_ERROR "linnet_add_fuzzer(${name}): no SOURCES")
  endif()
  if(NOT F_SEEDS AND IS_DIRECTORY "${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name}")
    set(F_SEEDS "${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name}")
  endif()

  if(LINNET_FUZZ)
    add_executable(${name} ${F_SOURCES})
    target_link_libraries(${name} PRIVATE ${F_LIBS} linnet_warnings)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    add_dependencies(linnet_fuzzers ${name})
    set(corpus "${CMAKE_BINARY_DIR}/fuzz/corpus/${name}")
    set(artifacts "${CMAKE_BINARY_DIR}/fuzz/artifacts")
    file(MAKE_DIRECTORY "${corpus}" "${artifacts}")
    add_test(NAME ${name}
             COMMAND ${name} -max_total_time=${LINNET_FUZZ_SECONDS} -seed=${LINNET_FUZZ_SEED} -timeout=10 -rss_limit_mb=2048
                     -print_final_stats=1 -artifact_prefix=${artifacts}/${name}-
                     ${corpus} ${F_SEEDS})
    math(EXPR fuzz_timeout "${LINNET_FUZZ_SECONDS} + 120")
    set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT ${fuzz_timeout})
  elseif(LINNET_BUILD_TESTS)
    add_executable(${name}_replay ${F_SOURCES} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
    target_link_libraries(${name}_replay PRIVATE ${F_LIBS} linnet_warnings)
    add_test(NAME ${name}_replay COMMAND ${name}_replay ${F_SEEDS})
    set_tests_properties(${name}_replay PROPERTIES LABELS "unit;fuzz-replay")
  endif()
endfunction()
