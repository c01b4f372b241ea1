// The executor of the Qwen3.5 hybrid stack: embeddings, Gated DeltaNet layers (conv and
// recurrent state), gated attention layers (KV cache), SwiGLU MLPs, final norm, head.
// The math is ../shared/docs/qwen35-reference.md.
//
// A forward() appends tokens at the current position: many tokens take the prefill path
// (DeltaNet in chunks, blocked attention), one token the decode path. State carries across
// calls, so a conversation grows turn by turn without recomputing.
//
// Memory: everything the executor writes lives in one arena allocated by create() from
// plan_memory() (runtime/model/memory_plan.h); forward(), logits_for_rows(), save_state()
// and load_state() never allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "runtime/bundle/model_view.h"
#include "runtime/core/result.h"
#include "runtime/model/executor_options.h"
#include "runtime/model/memory_plan.h"

namespace linnet {

enum class LogitsMode : std::uint8_t {
  kNone = 0,  // no head: logits may be empty
  kLast = 1,  // logits [V] of the last token of this call
  kAll = 2,   // logits [T, V] of every token of this call
};

// Test hook: called after each stage of a forward() with the hidden states of `count`
// consecutive positions starting at `first_position` (hidden [count, D], valid only during
// the call). Stage 0 is the embedding output, stage l+1 the output of decoder layer l, and
// stage num_layers+1 the final-norm output of the rows whose logits are computed (only the
// last row with kLast). With micro-batching a stage is reported once per micro-batch.
using HiddenObserver =
    std::function<void(int stage, int first_position, int count, std::span<const float> hidden)>;

class Executor {
 public:
  // `weights` (and the mapping behind its views) must outlive the executor. Validates every
  // shape against weights.hp, plans and allocates the arena once, prepares the linear kernels.
  static Result<Executor> create(const ModelWeights& weights, const ExecutorOptions& options);

  Executor(Executor&&) noexcept;
  Executor& operator=(Executor&&) noexcept;
  ~Executor();

  // Runs `tokens` (ids in [0, V)) at positions position() .. position() + T - 1, T >= 1.
  // logits: kLast needs >= V floats, kAll >= T * V, kNone may be empty (caller-owned).
  // Errors (state unchanged): empty tokens, a bad id, a too-small logits span, or
  // position() + T > context_length (kOutOfRange).
  Status forward(std::span<const std::int32_t> tokens, LogitsMode mode, std::span<float> logits);

  // Head rows `rows` (each in [0, V)) for the final hidden state of the last position only:
  // out[i] = logit of token rows[i]. Needs position() > 0. out: >= rows.size() floats.
  Status logits_for_rows(std::span<const std::int32_t> rows, std::span<float> out) const;

  int position() const;
  int context_length() const;
  // Back to position 0 with zero conv/recurrent state (the KV cache is simply overwritten).
  void reset();

  // Snapshot for the prefix cache: position, conv states, recurrent states, KV entries
  // [0, position) and the last final hidden state. state_bytes() is the size for the
  // current position (it grows with the KV part).
  std::size_t state_bytes() const;
  // The same for any executor of this model and KV cache type at `position` (the bound of a
  // snapshot at the context length, for the memory plan's prefix-cache figure).
  static std::size_t state_bytes_at(const HyperParams& hp, KvCacheType kv_cache, int position);
  Status save_state(std::span<std::uint8_t> out) const;   // out.size() >= state_bytes()
  Status load_state(std::span<const std::uint8_t> in);    // validated: a bad blob is an error

  const MemoryPlan& memory_plan() const;
  // The plan's "session" region, for the session that owns this executor (Session): logits
  // [V] (pass to forward() with kLast) and room for the context's token ids [context_length].
  // Valid while the executor lives; the executor itself never reads or writes them.
  std::span<float> session_logits();
  std::span<std::int32_t> session_tokens();
  const HyperParams& hyper_params() const;

  // Speed diagnostics for `linnet bench`: the linear layers' implementations ("linnet avx2
  // q4t, linnet avx2 q6t, xnnpack f32; weights in place ..." or "xnnpack qd8-f32-qb4w;
  // packed weights mapped m.linnet.xnnpack (...)"), the bytes of packed weights XNNPACK
  // holds, the weight bytes one decode step reads (packed copies where XNNPACK runs, the
  // bundle's own bytes elsewhere), and the wall time spent inside the linear layers since
  // creation or the last reset_speed_counters().
  std::string linear_backend_description() const;
  const char* kernel_set_name() const;  // non-linear kernels: "neon", "vector" or "reference"
  std::size_t packed_weight_bytes() const;
  // Bytes of the linear backends' scratch outside the arena (XNNPACK's qd8 workspace and
  // the tiled kernels' quantized activations; model/executor_heap.h bounds them).
  std::size_t linear_scratch_bytes() const;
  std::size_t linear_weight_bytes_per_token() const;
  std::uint64_t linear_busy_ns() const;
  void reset_speed_counters();

  // Tests only: set before forward(); an empty function removes it.
  void set_hidden_observer(HiddenObserver observer);

 private:
  struct Impl;
  explicit Executor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace linnet
