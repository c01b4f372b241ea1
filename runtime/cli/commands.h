// The `linnet` device binary's subcommands, one file each (cmd_<name>.cpp).
// Each takes the arguments after its name and returns the process exit code
// (0 success, 1 failure with a message on stderr, 2 usage error).
#pragma once

#include <span>
#include <string_view>

namespace linnet::cli {

using Args = std::span<const std::string_view>;

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(Args args);
};

// The table lives in main.cpp; add a line there for a new command.
std::span<const Command> commands();

}  // namespace linnet::cli
