// linnet-convert's subcommands, one file each (cmd_<name>.cpp), as in the device binary
// (runtime/cli/commands.h). Each takes the arguments after its name and returns the exit
// code: 0 success, 1 failure (message on stderr), 2 usage error.
#pragma once

#include <span>
#include <string_view>

namespace linnet::convert::tool {

using Args = std::span<const std::string_view>;

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(Args args);
};

// Defined in cmd_<name>.cpp.
int run_convert(Args args);
int run_inspect(Args args);
int run_keygen(Args args);
int run_sign(Args args);

}  // namespace linnet::convert::tool
