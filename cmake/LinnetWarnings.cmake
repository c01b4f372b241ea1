# Warnings as errors for Linnet's own targets (not for generated FlatBuffers code).
add_library(linnet_warnings INTERFACE)
target_compile_options(linnet_warnings INTERFACE
  -Wall -Wextra -Wconversion -Wsign-conversion -Wshadow -Werror
  -Wno-error=deprecated-declarations)

if(LINNET_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
