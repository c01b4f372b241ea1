// Generation flags shared by `linnet run` and `linnet chat`: --max-tokens and the sampling
// parameters, with the bundle's generation defaults for what is not given.
#pragma once

#include <cstdint>
#include <optional>

#include "cli/commands.h"
#include "session/session.h"

namespace linnet::cli {

inline constexpr const char* kSamplingUsage = "";

struct GenerationFlags {
  std::optional<int> max_tokens;

  enum class Parse { kNotMine, kTaken, kBad };
  // Looks at args[i] (and its value, advancing i past it).
  Parse parse(Args args, std::size_t& i);
  GenerationOptions options(const Model& model) const;
};

// "[12 prompt tokens in 3.1 ms; 5 tokens in 20.0 ms, 250.0 tokens/s; stop: end_of_turn]" to stderr.
void print_generation_stats(const GenerationResult& result);

}  // namespace linnet::cli
