#include "cli/session_setup.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>

#include "linnet/boards_generated.h"

namespace linnet::cli {

bool parse_int(std::string_view s, int& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_float(std::string_view s, float& out) {
  // from_chars for float is in libstdc++ 11+; strtof keeps this portable to older ones.
  const std::string copy(s);
  char* end = nullptr;
  out = std::strtof(copy.c_str(), &end);
  return !copy.empty() && end == copy.c_str() + copy.size();
}

int board_default_threads() {
  for (const BoardProfile& b : kBoards) {
    if (b.name == kBuildBoard) return b.default_threads;
  }
  return 1;
}

std::optional<LoadedSession> open_session(std::string_view command, const std::string& path,
                                          const SessionOptions& options) {
  auto model = Model::open(path);
  if (!model.ok()) {
    std::fprintf(stderr, "linnet %.*s: %s\n", static_cast<int>(command.size()), command.data(),
                 model.error().message().c_str());
    return std::nullopt;
  }
  auto session = Session::create(**model, options);
  if (!session.ok()) {
    std::fprintf(stderr, "linnet %.*s: %s\n", static_cast<int>(command.size()), command.data(),
                 session.error().message().c_str());
    return std::nullopt;
  }
  return LoadedSession{std::move(model).value(), std::move(session).value()};
}

}  // namespace linnet::cli
