// linnet: the device binary. `linnet <command> [args]`; `linnet help` lists commands.
#include <cstdio>
#include <string_view>
#include <vector>

#include "runtime/cli/commands.h"
#include "runtime/core/boundary.h"

namespace linnet::cli {

// Defined in cmd_<name>.cpp.
// (keep this list and the table below in the same order)
int run_bench(Args args);
int run_chat(Args args);
int run_classify(Args args);
int run_info(Args args);
int run_ota(Args args);
int run_run(Args args);
int run_score(Args args);
int run_serve(Args args);
int run_tokenize(Args args);

namespace {

int run_help(Args);

constexpr Command kCommands[] = {
    {"help", "list the commands; `help CMD`: that command's usage", run_help},
    {"bench", "speed, memory and bandwidth figures of a bundle on this machine", run_bench},
    {"chat", "interactive chat with a model", run_chat},
    {"classify", "label probabilities for a message (one, JSONL stream, or --bench)", run_classify},
    {"info", "a bundle's metadata, sizes and memory plan (--verify checks its SHA-256)", run_info},
    {"ota", "over-the-air updates: install, status, rollback, check (docs/ota.md)", run_ota},
    {"run", "generate an answer to a prompt, streamed", run_run},
    {"score", "logits of every position of a token sequence, to safetensors", run_score},
    {"serve", "answer requests over a serial line or stdio (docs/serial-protocol.md)", run_serve},
    {"tokenize", "text to token ids (JSON) and back (--decode) with a bundle's tokenizer", run_tokenize},
};

// `linnet help`: the commands; `linnet help CMD`: CMD's usage, as `linnet CMD --help` prints it.
int run_help(Args args) {
  if (!args.empty()) {
    for (const Command& c : kCommands) {
      if (c.name == args[0] && c.name != "help") {
        static constexpr std::string_view kHelp[] = {"--help"};
        return c.run(Args(kHelp, 1));
      }
    }
    std::fprintf(stderr, "linnet help: unknown command '%.*s'\n", static_cast<int>(args[0].size()), args[0].data());
    return 2;
  }
  std::printf("usage: linnet <command> [args]   (linnet help <command>, or linnet <command> --help: its usage)\n\n"
              "commands:\n");
  for (const Command& c : kCommands) {
    std::printf("  %-10.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                static_cast<int>(c.summary.size()), c.summary.data());
  }
  return 0;
}

}  // namespace

std::span<const Command> commands() { return kCommands; }

}  // namespace linnet::cli

// The main thread's boundary: an exception a command lets out (a bug) is reported like
// any failure (exit 1) instead of std::terminate's abort.
int main(int argc, char** argv) {
  try {
    std::vector<std::string_view> args(argv + 1, argv + argc);
    if (args.empty()) return linnet::cli::commands()[0].run({});
    if (args[0] == "--help" || args[0] == "-h") return linnet::cli::commands()[0].run({});
    for (const auto& c : linnet::cli::commands()) {
      if (c.name == args[0]) return c.run(linnet::cli::Args(args).subspan(1));
    }
    std::fprintf(stderr, "linnet: unknown command '%.*s' (try 'linnet help')\n",
                 static_cast<int>(args[0].size()), args[0].data());
    return 2;
  } catch (...) {
    const linnet::Error error = linnet::current_exception_error("linnet: internal error");
    std::fprintf(stderr, "%s\n", error.message().c_str());
    return 1;
  }
}
