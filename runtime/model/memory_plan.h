// The executor's memory plan: computed from the model's hyper-parameters, the context
// length and the thread count before anything is allocated; the executor then allocates
// exactly plan.total_bytes once (runtime/model/arena.h) and nothing on the token path.
// The converter's `inspect` and `linnet info` print it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/bundle/model_view.h"
#include "runtime/core/result.h"
#include "runtime/model/executor_options.h"

namespace linnet {

// One named region of the arena (offsets are multiples of kArenaAlignment).
struct MemoryRegion {
  std::string name;         // "kv_cache", "conv_state", "recurrent_state", "activations", "scratch"
  std::string description;  // what it holds, with shapes
  std::size_t offset = 0;   // bytes from the arena start
  std::size_t bytes = 0;
};

// A heap block outside the arena, made once when a session is created (never per token),
// with the most bytes it can take: the executor's (executor_heap.h) and the session's
// (runtime/session/session_memory.h). `linnet info` lists them beside the arena.
struct MemoryBound {
  std::string name;         // e.g. "xnnpack_scratch", "logits", "prefix_snapshots"
  std::string description;  // what it holds, with shapes
  std::size_t bytes = 0;    // the bound
};

struct MemoryPlan {
  ExecutorOptions options;
  std::vector<MemoryRegion> regions;  // in arena order
  std::size_t total_bytes = 0;        // the single allocation

  const MemoryRegion* find(const std::string& name) const;
  // A table, one region a line plus the total, for `inspect` / `info`.
  std::string to_string() const;
};

// Validates the options against the model (context_length in [1, max_position_embeddings]
// when that is set, threads >= 1, batch_tokens >= 1) and lists every region with its bytes.
Result<MemoryPlan> plan_memory(const HyperParams& hp, const ExecutorOptions& options);

}  // namespace linnet
