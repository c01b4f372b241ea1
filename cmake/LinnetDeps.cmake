# Dependencies come from Debian trixie's packages (natively on a trixie host, or
# inside the build root made by toolchains/trixie-root.sh). For aarch64 the arm64
# multiarch libraries are used; libpthreadpool and libcpuinfo only ship their runtime
# library (.so.0) for arm64 (the -dev packages are not co-installable), so they are
# found by exact name with the shared headers.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(flatbuffers CONFIG REQUIRED)
find_package(MbedTLS CONFIG QUIET)
find_package(nlohmann_json 3.11 REQUIRED)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)

find_program(LINNET_FLATC flatc REQUIRED)

function(linnet_find_lib var)
  find_library(${var} NAMES ${ARGN} REQUIRED)
endfunction()
linnet_find_lib(LINNET_XNNPACK_LIB XNNPACK libXNNPACK.so.0.20241108)
linnet_find_lib(LINNET_PTHREADPOOL_LIB pthreadpool libpthreadpool.so.0)
linnet_find_lib(LINNET_CPUINFO_LIB cpuinfo libcpuinfo.so.0)

add_library(linnet_xnnpack INTERFACE)
target_link_libraries(linnet_xnnpack INTERFACE
  ${LINNET_XNNPACK_LIB} ${LINNET_PTHREADPOOL_LIB} ${LINNET_CPUINFO_LIB} Threads::Threads)

add_library(linnet_mbedtls INTERFACE)
if(TARGET MbedTLS::mbedcrypto)
  target_link_libraries(linnet_mbedtls INTERFACE MbedTLS::mbedcrypto)
else()
  pkg_check_modules(MBEDCRYPTO REQUIRED IMPORTED_TARGET mbedcrypto)
  target_link_libraries(linnet_mbedtls INTERFACE PkgConfig::MBEDCRYPTO)
endif()

if(TARGET flatbuffers::flatbuffers)
  set(LINNET_FLATBUFFERS_TARGET flatbuffers::flatbuffers)
else()
  set(LINNET_FLATBUFFERS_TARGET flatbuffers::flatbuffers_shared)
endif()
