#include "runtime/session/session_memory.h"

#include <string>

#include "runtime/model/executor.h"

namespace linnet {

std::vector<MemoryBound> plan_session_heap(const HyperParams& hp, const ExecutorOptions&) {
  const auto v = static_cast<std::size_t>(hp.vocab_size);
  return {{"sampler", "4 x [" + std::to_string(hp.vocab_size) + "] (penalised logits, weights, candidates, stamps)",
           v * (sizeof(float) + sizeof(float) + sizeof(TokenId) + sizeof(std::uint32_t))}};
}

std::vector<MemoryBound> plan_classifier_heap(const HyperParams& hp, const ExecutorOptions& options,
                                              const ClassifierOptions& classifier) {
  const auto v = static_cast<std::size_t>(hp.vocab_size);
  const int ctx = options.context_length;
  const int longest_prefix = ctx > 1 ? ctx - 1 : 1;
  const auto entries =
      static_cast<std::size_t>(classifier.prefix_cache_entries > 0 ? classifier.prefix_cache_entries : 0);
  return {
      {"prefix_snapshots",
       std::to_string(entries) + " cached prefix states, each at most the state at position " +
           std::to_string(longest_prefix),
       entries * Executor::state_bytes_at(hp, options.kv_cache, longest_prefix)},
      {"label_scorer",
       "[" + std::to_string(hp.vocab_size) + "] f32 logits + 1 state (labels of n tokens: up to n - 1)",
       v * sizeof(float) + Executor::state_bytes_at(hp, options.kv_cache, ctx)},
  };
}

}  // namespace linnet
