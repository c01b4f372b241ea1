#include "runtime/cli/generation_flags.h"

#include <chrono>
#include <cstdio>

#include "runtime/cli/session_setup.h"

namespace linnet::cli {

FlagParse GenerationFlags::parse(Args args, std::size_t& i) {
  const std::string_view a = args[i];
  if (a != "--max-tokens" && a != "--temperature" && a != "--top-k" && a != "--top-p" && a != "--min-p" &&
      a != "--repetition-penalty" && a != "--seed") {
    return {};
  }
  if (i + 1 >= args.size()) return FlagParse::bad(missing_value(a));
  const std::string_view value = args[++i];
  std::optional<std::string> problem;
  if (a == "--max-tokens" || a == "--top-k") {
    int v = 0;
    problem = read_int(a, value, a == "--top-k" ? 0 : 1, v);
    if (!problem) (a == "--max-tokens" ? max_tokens : top_k) = v;
  } else if (a == "--seed") {
    std::uint64_t v = 0;
    problem = read_u64(a, value, v);
    if (!problem) seed = v;
  } else {
    float v = 0;
    problem = read_float(a, value, v);
    if (!problem) {
      (a == "--temperature" ? temperature
       : a == "--top-p"     ? top_p
       : a == "--min-p"     ? min_p
                            : repetition_penalty) = v;
    }
  }
  if (problem) return FlagParse::bad(std::move(*problem));
  return FlagParse::taken();
}

GenerationOptions GenerationFlags::options(const Session& session) const {
  GenerationOptions o;
  const GenerationDefaults& d = session.model().bundle().generation_defaults();
  o.max_new_tokens = static_cast<std::uint32_t>(max_tokens.value_or(d.max_new_tokens));
  o.sampling = session.default_sampling();
  if (temperature) o.sampling.temperature = *temperature;
  if (top_k) o.sampling.top_k = static_cast<std::uint32_t>(*top_k);
  if (top_p) o.sampling.top_p = *top_p;
  if (min_p) o.sampling.min_p = *min_p;
  if (repetition_penalty) o.sampling.repetition_penalty = *repetition_penalty;
  o.sampling.seed = seed.value_or(
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  return o;
}

void print_generation_stats(const GenerationResult& r) {
  const double rate = r.decode_ms > 0 ? 1000.0 * r.generated_tokens / r.decode_ms : 0.0;
  std::fprintf(stderr, "[%d prompt tokens in %.1f ms; %d tokens in %.1f ms, %.1f tokens/s; stop: %.*s]\n",
               r.prompt_tokens, r.prefill_ms, r.generated_tokens, r.decode_ms, rate,
               static_cast<int>(generation_stop_name(r.stop).size()), generation_stop_name(r.stop).data());
}

}  // namespace linnet::cli
