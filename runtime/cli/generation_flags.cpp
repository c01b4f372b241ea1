#include "cli/generation_flags.h"

#include <cstdio>

#include "cli/session_setup.h"

namespace linnet::cli {

GenerationFlags::Parse GenerationFlags::parse(Args args, std::size_t& i) {
  const std::string_view a = args[i];
  const bool has_value = i + 1 < args.size();
  if (a == "--max-tokens") {
    int v = 0;
    if (!has_value || !parse_int(args[i + 1], v) || v < 1) return Parse::kBad;
    max_tokens = v;
    ++i;
    return Parse::kTaken;
  }
  return Parse::kNotMine;
}

GenerationOptions GenerationFlags::options(const Model& model) const {
  GenerationOptions o;
  const GenerationDefaults& d = model.bundle().generation_defaults();
  o.max_new_tokens = static_cast<std::uint32_t>(max_tokens.value_or(d.max_new_tokens));
  return o;
}

void print_generation_stats(const GenerationResult& r) {
  const double rate = r.decode_ms > 0 ? 1000.0 * r.generated_tokens / r.decode_ms : 0.0;
  std::fprintf(stderr, "[%d prompt tokens in %.1f ms; %d tokens in %.1f ms, %.1f tokens/s; stop: %.*s]\n",
               r.prompt_tokens, r.prefill_ms, r.generated_tokens, r.decode_ms, rate,
               static_cast<int>(generation_stop_name(r.stop).size()), generation_stop_name(r.stop).data());
}

}  // namespace linnet::cli
