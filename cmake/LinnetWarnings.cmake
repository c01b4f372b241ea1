# Warnings as errors for Linnet's own targets (not for generated FlatBuffers code).
# The gcc builds are the gate; the clang fuzz build reports the same warnings without
# failing on the ones only clang has.
add_library(linnet_warnings INTERFACE)
target_compile_options(linnet_warnings INTERFACE
  -Wall -Wextra -Wconversion -Wsign-conversion -Wshadow
  $<IF:$<BOOL:${LINNET_FUZZ}>,-Wno-error,-Werror> -Wno-error=deprecated-declarations)

if(LINNET_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
