// linnet-convert: the host tool that turns a Hugging Face checkpoint into a bundle.
//   linnet-convert <hf_dir> -o model.linnet --quant f32|f16|q8|q6|q4   (convert is the default)
//   linnet-convert --synthetic config.json -o m.linnet --quant q4 [--seed N]
//   linnet-convert inspect m.linnet [--json]
//   linnet-convert help [CMD]
#include <cstdio>
#include <string_view>
#include <vector>

#include "converter/tool/commands.h"
#include "runtime/core/boundary.h"

namespace linnet::convert::tool {
namespace {

int run_help(Args);

// One row per subcommand; new commands (e.g. keygen, sign) add a row and a cmd_<name>.cpp.
constexpr Command kCommands[] = {
    {"convert", "Hugging Face checkpoint (or --synthetic config) -> bundle (the default command)", run_convert},
    {"inspect", "show a bundle's metadata, tensor table, sizes and memory plan", run_inspect},
    {"keygen", "make a vendor ECDSA P-256 key pair for signed updates (-o vendor)", run_keygen},
    {"sign", "sign a bundle as an over-the-air update (.lnu) with the vendor key", run_sign},
    {"help", "list the commands; `help CMD`: that command's usage", run_help},
};

int run_help(Args args) {
  if (!args.empty()) {
    for (const Command& c : kCommands) {
      if (c.name == args[0] && c.name != "help") {
        static constexpr std::string_view kHelp[] = {"--help"};
        return c.run(Args(kHelp, 1));
      }
    }
    std::fprintf(stderr, "linnet-convert help: unknown command '%.*s'\n", static_cast<int>(args[0].size()),
                 args[0].data());
    return 2;
  }
  std::printf(
      "usage: linnet-convert [convert] <hf_dir> -o model.linnet --quant f32|f16|q8|q6|q4 [--verbose]\n"
      "       linnet-convert [convert] --synthetic config.json -o model.linnet --quant q4 [--seed N]\n"
      "       linnet-convert <command> [args]\n\ncommands:\n");
  for (const Command& c : kCommands) {
    std::printf("  %-10.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(), static_cast<int>(c.summary.size()),
                c.summary.data());
  }
  return 0;
}

}  // namespace
}  // namespace linnet::convert::tool

// The main thread's boundary: an exception a command lets out (a bug) is reported like
// any failure (exit 1) instead of std::terminate's abort.
int main(int argc, char** argv) {
  using namespace linnet::convert::tool;
  try {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty()) {
      run_help({});
      return 2;
    }
    for (const Command& c : kCommands) {
      if (c.name == args[0]) return c.run(Args(args).subspan(1));
    }
    if (args[0] == "-h" || args[0] == "--help") return run_help({});
    // Not a command name: a checkpoint directory or an option, i.e. `convert`.
    return run_convert(Args(args));
  } catch (...) {
    const linnet::Error error = linnet::current_exception_error("linnet-convert: internal error");
    std::fprintf(stderr, "%s\n", error.message().c_str());
    return 1;
  }
}
