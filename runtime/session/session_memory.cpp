#include "session/session_memory.h"

#include <string>

#include "model/executor.h"

namespace linnet {

std::vector<MemoryBound> plan_session_heap(const HyperParams& hp, const ExecutorOptions& options,
                                           const ClassifierOptions& classifier) {
  const auto v = static_cast<std::size_t>(hp.vocab_size);
  const int ctx = options.context_length;
  const std::string vocab = std::to_string(hp.vocab_size);
  const std::size_t prefix_state = Executor::state_bytes_at(hp, options.kv_cache, ctx > 1 ? ctx - 1 : 1);
  const std::size_t state = Executor::state_bytes_at(hp, options.kv_cache, ctx);
  const auto entries = static_cast<std::size_t>(classifier.prefix_cache_entries > 0 ? classifier.prefix_cache_entries : 0);
  return {
      {"logits", "[" + vocab + "] f32, the last position's", v * sizeof(float)},
      {"history", "[" + std::to_string(ctx) + "] token ids in the context", static_cast<std::size_t>(ctx) * sizeof(TokenId)},
      {"sampler", "4 x [" + vocab + "] (penalised logits, weights, candidates, stamps)",
       v * (sizeof(float) + sizeof(float) + sizeof(TokenId) + sizeof(std::uint32_t))},
      {"prefix_snapshots", std::to_string(entries) + " classify prefix states, each at most the state at position " +
                               std::to_string(ctx > 1 ? ctx - 1 : 1),
       entries * prefix_state},
      {"label_scorer", "[" + vocab + "] f32 logits + 1 state snapshot at most (labels of n tokens: up to n - 1)",
       v * sizeof(float) + state},
  };
}

}  // namespace linnet
