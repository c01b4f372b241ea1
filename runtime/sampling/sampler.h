// Choosing the next token from the logits, as Hugging Face `generate` does:
//
//   logits -> repetition penalty -> (greedy: argmax)
//          -> / temperature -> top-k -> top-p -> min-p -> draw from the softmax
//
// Repetition penalty (CTRL, transformers' RepetitionPenaltyLogitsProcessor): every id
// that occurs in the history (once, however often it occurs) has its logit divided by
// the penalty when positive and multiplied by it when negative.
// top-k keeps the k largest logits (and any tied with the k-th); top-p the smallest prefix of the sorted
// distribution whose mass reaches p (a token is kept when the mass before it is below
// p; at least one is kept); min-p drops tokens whose probability is below
// min_p * (the largest probability).
//
// Deterministic: the random numbers come from a xoshiro256** state held in the object
// (seeded with splitmix64), so the same seed, logits and history give the same tokens.
// Memory: all scratch (four arrays of vocab_size) is allocated by create(); sample()
// never allocates. Cost: O(vocab) per token (top-k and top-p by selection, not sorting).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/tokenizer/token_id.h"

namespace linnet {

struct SamplerOptions {
  float temperature = 0.7f;         // <= 0: greedy (argmax)
  std::uint32_t top_k = 20;         // 0: off; 1: greedy
  float top_p = 0.8f;               // (0, 1]; 1: off
  float min_p = 0.0f;               // [0, 1); 0: off
  float repetition_penalty = 1.0f;  // > 0; 1: off
  std::uint64_t seed = 0;
  // Only ids below this are ever chosen (the model's vocabulary is padded beyond the
  // tokenizer's: 1024 rows for 1000 ids); 0 means every logit.
  std::uint32_t eligible_ids = 0;

  // Argmax (after the repetition penalty): no random number is drawn.
  bool greedy() const { return temperature <= 0.0f || top_k == 1; }
};

class Sampler {
 public:
  // `vocab_size`: the length of the logits rows sample() will get.
  static Result<Sampler> create(std::size_t vocab_size, const SamplerOptions& options);

  // New options (validated) and a fresh random state from options.seed; no allocation.
  Status configure(const SamplerOptions& options);

  // The next token. `logits` has vocab_size entries (anything else is kInvalidArgument);
  // `history` holds the ids the repetition penalty applies to (prompt and generated
  // ids, as transformers does). Both are only read during the call. A NaN or infinite
  // logit among the eligible ids is kNumeric (no token is chosen from a damaged output).
  Result<TokenId> sample(std::span<const float> logits, std::span<const TokenId> history = {});

  const SamplerOptions& options() const { return options_; }
  std::size_t vocab_size() const { return work_.size(); }

 private:
  Sampler() = default;

  std::uint64_t next_u64();
  double next_unit();  // uniform in [0, 1)
  TokenId argmax(std::size_t n) const;
  // The k-th largest of work_[0..n) (uses weight_ as scratch): a heap pass for small k,
  // nth_element on a copy otherwise.
  float kth_largest(std::size_t n, std::size_t k);
  static constexpr std::size_t kHeapTopK = 256;
  // Moves the smallest set of most probable candidates of index_[0..count) whose weight
  // reaches `target` to the front (unordered) and returns its size: a quickselect on
  // probability mass, O(count) expected.
  std::size_t select_nucleus(std::size_t count, double target);

  SamplerOptions options_;
  std::uint64_t state_[4] = {};
  std::vector<float> work_;            // [vocab] penalised, temperature-scaled logits
  std::vector<float> weight_;          // [vocab] exp(logit - max logit) of candidates
  std::vector<TokenId> index_;         // [vocab] candidate ids
  std::vector<std::uint32_t> stamp_;   // [vocab] call stamp, to penalise each id once
  std::uint32_t stamp_value_ = 0;
};

}  // namespace linnet
