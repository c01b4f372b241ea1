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

SessionFlags::SessionFlags() { options.threads = board_default_threads(); }

SessionFlags::Parse SessionFlags::parse(Args args, std::size_t& i) {
  const std::string_view a = args[i];
  const bool has_value = i + 1 < args.size();
  if (a == "--linear" && has_value) {
    const auto impl = parse_linear_impl(args[++i]);
    if (!impl) return Parse::kBad;
    options.linear = *impl;
  } else if (a == "--skip-verify") {
    model.verify_sha256 = false;
  } else if (a == "--packed-cache" && has_value) {
    packed_cache = std::string(args[++i]);
  } else if (a == "--kv-cache" && has_value) {
    const auto type = parse_kv_cache_type(args[++i]);
    if (!type) return Parse::kBad;
    options.kv_cache = *type;
  } else if ((a == "--threads" || a == "--context") && has_value) {
    int v = 0;
    if (!parse_int(args[++i], v) || v < 1) return Parse::kBad;
    (a == "--threads" ? options.threads : options.context_length) = v;
  } else {
    return Parse::kNotMine;
  }
  return Parse::kTaken;
}

SessionOptions SessionFlags::options_for(const std::string& bundle) const {
  SessionOptions o = options;
  o.packed_weights_cache = packed_cache.value_or(bundle + ".xnnpack");
  return o;
}

std::optional<LoadedSession> open_session(std::string_view command, const std::string& path,
                                          const ModelOptions& model_options, const SessionOptions& options) {
  auto model = Model::open(path, model_options);
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
