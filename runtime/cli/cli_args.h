// Command-line problems said so the user can fix them, shared by the linnet subcommands:
// each names the argument ("unknown option --label", "--threads must be at least 1
// (got 0)"), and `--help` prints the command's usage on stdout and exits 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/cli/commands.h"

namespace linnet::cli {

// The outcome of offering one argument to a group of flags (SessionFlags, GenerationFlags).
struct FlagParse {
  enum class Kind { kNotMine, kTaken, kBad };
  Kind kind = Kind::kNotMine;
  std::string problem;  // kBad: what is wrong, naming the flag and its value

  static FlagParse taken() { return {Kind::kTaken, {}}; }
  static FlagParse bad(std::string problem) { return {Kind::kBad, std::move(problem)}; }
};

// Offers args[i] to each flag group in turn (each has parse(args, i) -> FlagParse): the
// first that takes it (or finds it bad) answers; kNotMine when none does.
template <typename... Groups>
FlagParse parse_flag_groups(Args args, std::size_t& i, Groups&... groups) {
  FlagParse result;
  ((result.kind == FlagParse::Kind::kNotMine ? (void)(result = groups.parse(args, i)) : (void)0), ...);
  return result;
}

// `--help` or `-h` among the arguments (before a lone `--`, after which everything is text).
bool wants_help(Args args);

// "unknown option --x" for a word that starts with '-', "unexpected argument 'x'" otherwise.
std::string unknown_argument(std::string_view arg);
// "--threads needs a value".
std::string missing_value(std::string_view flag);

// Reads the value of `flag`; on failure returns what is wrong, naming the flag and the value:
// "--threads wants a whole number (got 'x')", "--threads must be at least 1 (got 0)".
std::optional<std::string> read_int(std::string_view flag, std::string_view value, int min, int& out);
std::optional<std::string> read_u64(std::string_view flag, std::string_view value, std::uint64_t& out);
std::optional<std::string> read_float(std::string_view flag, std::string_view value, float& out);

// One command's usage text ("usage: linnet classify ...\n").
struct Usage {
  std::string_view command;  // "classify"
  std::string text;

  // --help: the usage on stdout; returns 0.
  int help() const;
  // A usage error: "linnet <command>: <problem>" and the usage on stderr; returns 2.
  int error(std::string_view problem) const;
};

}  // namespace linnet::cli
