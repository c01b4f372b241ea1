#include "runtime/cli/session_setup.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>

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

FlagParse SessionFlags::parse(Args args, std::size_t& i) {
  const std::string_view a = args[i];
  if (a == "--skip-verify") {
    model.verify_sha256 = false;
    return FlagParse::taken();
  }
  if (a != "--linear" && a != "--packed-cache" && a != "--kv-cache" && a != "--threads" && a != "--context") {
    return {};
  }
  if (i + 1 >= args.size()) return FlagParse::bad(missing_value(a));
  const std::string_view value = args[++i];
  if (a == "--linear") {
    const auto impl = parse_linear_impl(value);
    if (!impl) return FlagParse::bad("--linear wants linnet, xnnpack or reference (got '" + std::string(value) + "')");
    options.executor.linear = *impl;
  } else if (a == "--packed-cache") {
    packed_cache = std::string(value);
  } else if (a == "--kv-cache") {
    const auto type = parse_kv_cache_type(value);
    if (!type) return FlagParse::bad("--kv-cache wants f16, int8 or f32 (got '" + std::string(value) + "')");
    options.executor.kv_cache = *type;
  } else if (auto problem = read_int(a, value, 1, a == "--threads" ? options.executor.threads : options.executor.context_length)) {
    return FlagParse::bad(std::move(*problem));
  }
  return FlagParse::taken();
}

SessionOptions SessionFlags::options_for(const std::string& bundle) const {
  SessionOptions o = options;
  o.executor.packed_weights_cache = packed_cache.value_or(bundle + ".xnnpack");
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

void suggest_larger_context(std::string_view command, const Session& session) {
  const int most = session.model().hyper_params().max_position_embeddings;
  const std::string limit = most > 0 ? " (this model takes up to " + std::to_string(most) + ")" : "";
  std::fprintf(stderr, "linnet %.*s: a prompt did not fit the context of %d tokens; give a larger --context N%s\n",
               static_cast<int>(command.size()), command.data(), session.context_length(), limit.c_str());
}

}  // namespace linnet::cli
