#include "runtime/cli/cli_args.h"

#include <cstdio>

#include "runtime/cli/session_setup.h"

namespace linnet::cli {

bool wants_help(Args args) {
  for (const std::string_view a : args) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

std::string unknown_argument(std::string_view arg) {
  if (arg.size() > 1 && arg[0] == '-') return "unknown option " + std::string(arg);
  return "unexpected argument '" + std::string(arg) + "'";
}

std::string missing_value(std::string_view flag) { return std::string(flag) + " needs a value"; }

std::optional<std::string> read_int(std::string_view flag, std::string_view value, int min, int& out) {
  int v = 0;
  if (!parse_int(value, v)) return std::string(flag) + " wants a whole number (got '" + std::string(value) + "')";
  if (v < min) {
    return std::string(flag) + " must be at least " + std::to_string(min) + " (got " + std::to_string(v) + ")";
  }
  out = v;
  return std::nullopt;
}

std::optional<std::string> read_u64(std::string_view flag, std::string_view value, std::uint64_t& out) {
  if (!parse_u64(value, out)) {
    return std::string(flag) + " wants a non-negative whole number (got '" + std::string(value) + "')";
  }
  return std::nullopt;
}

std::optional<std::string> read_float(std::string_view flag, std::string_view value, float& out) {
  if (!parse_float(value, out)) return std::string(flag) + " wants a number (got '" + std::string(value) + "')";
  return std::nullopt;
}

int Usage::help() const {
  std::fputs(text.c_str(), stdout);
  return 0;
}

int Usage::error(std::string_view problem) const {
  std::fprintf(stderr, "linnet %.*s: %.*s\n%s", static_cast<int>(command.size()), command.data(),
               static_cast<int>(problem.size()), problem.data(), text.c_str());
  return 2;
}

}  // namespace linnet::cli
