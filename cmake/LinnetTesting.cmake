# linnet_add_test is always defined; when LINNET_BUILD_TESTS is OFF (the fuzz preset) it
# does nothing, so a folder's CMakeLists.txt configures whether or not tests are built.
if(NOT LINNET_BUILD_TESTS)
  function(linnet_add_test name)
  endfunction()
  return()
endif()

find_package(GTest REQUIRED)

# The tests labelled "board" exercise what differs between targets: the kernels and their
# dispatch, the CPU and XNNPACK platform checks, the executor and the golden forward pass.
# `cmake --build <dir> --target linnet_board_tests` builds only them (and what they link),
# `ctest -L board` runs them: tools/test.sh's rpi5 configuration.
add_custom_target(linnet_board_tests)

# linnet_add_test(NAME SOURCES a.cpp b.cpp LIBS lib1 lib2 [LABELS l1 l2])
# One gtest binary per call, registered with ctest. On cross builds ctest runs it
# through CMAKE_CROSSCOMPILING_EMULATOR (qemu-aarch64 -cpu <board cpu>).
function(linnet_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main linnet_warnings)
  # Test code itself at -O1 whatever the build type: its compile time is GoogleTest's
  # templates through the optimiser (runtime/chat/chat_test.cpp: 9.2 s of CPU at -O3,
  # 6.2 s at -O1, with the command from compile_commands.json), and what it exercises,
  # the libraries, keeps the configuration's flags.
  target_compile_options(${name} PRIVATE -O1)
  target_compile_definitions(${name} PRIVATE LINNET_SHARED_DIR="${LINNET_SHARED_DIR}")
  if(CMAKE_CROSSCOMPILING)
    # Runs under qemu-user: a test may leave out work that is the same on every target
    # (the reference kernels' own paths) and that emulation makes minutes long.
    target_compile_definitions(${name} PRIVATE LINNET_TEST_UNDER_EMULATOR=1)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  if("board" IN_LIST T_LABELS)
    add_dependencies(linnet_board_tests ${name})
  endif()
endfunction()
