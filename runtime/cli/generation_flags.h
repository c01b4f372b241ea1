// Generation flags shared by `linnet run` and `linnet chat`: --max-tokens and the sampling
// parameters, with the bundle's generation defaults for what is not given.
#pragma once

#include <cstdint>
#include <optional>

#include "runtime/cli/cli_args.h"
#include "runtime/cli/commands.h"
#include "runtime/session/session.h"

namespace linnet::cli {

inline constexpr const char* kSamplingUsage =
    "[--temperature X] [--top-k N] [--top-p X] [--min-p X] [--repetition-penalty X] [--seed N]";

struct GenerationFlags {
  std::optional<int> max_tokens;
  std::optional<float> temperature, top_p, min_p, repetition_penalty;
  std::optional<int> top_k;
  std::optional<std::uint64_t> seed;

  // Looks at args[i] (and its value, advancing i past it).
  FlagParse parse(Args args, std::size_t& i);
  // The bundle's defaults overridden by the flags; without --seed the seed comes from the clock.
  GenerationOptions options(const Session& session) const;
};

// "[12 prompt tokens in 3.1 ms; 5 tokens in 20.0 ms, 250.0 tokens/s; stop: end_of_turn]" to stderr.
void print_generation_stats(const GenerationResult& result);

}  // namespace linnet::cli
