// Every buffer the executor uses, carved out of the arena in one fixed order. The same
// function runs twice: as a dry run (a counting BumpAllocator) inside plan_memory(), and
// for real in Executor::create(), so the plan and the executor can never disagree.
// Internal to runtime/model.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/bundle/model_view.h"
#include "runtime/model/arena.h"
#include "runtime/model/memory_plan.h"

namespace linnet {

// Persistent per-layer state (null where the layer kind has none).
struct LayerStateBuffers {
  float* conv_state = nullptr;       // DeltaNet: [K-1, C], oldest input first
  float* recurrent_state = nullptr;  // DeltaNet: [Hv, dk, dv]
  // attention: [Hkv, context_length, hd] of float, IEEE half (kernels::Half) or int8, as
  // ExecutorBuffers::kv_type says; int8 rows have a float scale each in [Hkv, context_length].
  void* k_cache = nullptr;
  void* v_cache = nullptr;
  float* k_scales = nullptr;  // int8 only
  float* v_scales = nullptr;  // int8 only
};

// B = options.batch_tokens. The DeltaNet, attention and MLP groups overlay each other
// (one layer part runs at a time).
struct ExecutorBuffers {
  std::vector<LayerStateBuffers> layers;
  KvCacheType kv_type = KvCacheType::kF32;  // element type of the KV caches

  // activations
  float* residual = nullptr;     // [B, D] the hidden state flowing through the layers
  float* normed = nullptr;       // [B, D] norm output, input of the projections
  float* mixer_out = nullptr;    // [B, D] output of a mixer or of the MLP
  float* last_hidden = nullptr;  // [D] final-normed hidden of the last position
  // DeltaNet group
  float* qkv = nullptr;       // [B, C] in_proj_qkv output (pre-conv)
  float* conv_out = nullptr;  // [B, C] after conv + silu: q | k | v per row
  float* z = nullptr;         // [B, Hv*dv]
  float* gate_a = nullptr;    // [B, Hv] in_proj_a output, then g
  float* gate_b = nullptr;    // [B, Hv] in_proj_b output, then beta
  float* core = nullptr;      // [B, Hv*dv] delta-rule output, then gated-normed
  // attention group
  float* q_gate = nullptr;    // [B, H, 2*hd] per head [query | gate]
  float* k = nullptr;         // [B, Hkv*hd]
  float* v = nullptr;         // [B, Hkv*hd]
  float* attn = nullptr;      // [B, H*hd]
  // MLP group
  float* mlp_gate = nullptr;  // [B, I]
  float* mlp_up = nullptr;    // [B, I]

  // scratch (one set per thread; the reference path uses the first)
  float* delta_scratch = nullptr;  // threads x gated_delta_prefill_scratch_floats
  float* attn_scratch = nullptr;   // threads x attention_prefill_scratch_floats(context)
  float* rope_cos = nullptr;       // [rotary_dim / 2]
  float* rope_sin = nullptr;       // [rotary_dim / 2]

  // the session's (runtime/session/session.h), planned here so that one plan covers it
  float* session_logits = nullptr;          // [V] logits of the last position (LogitsMode::kLast)
  std::int32_t* session_tokens = nullptr;   // [context_length] token ids of the context

  std::size_t delta_scratch_floats = 0;  // per thread
  std::size_t attn_scratch_floats = 0;   // per thread
};

// Carves every buffer from `alloc` in arena order. When `regions` is not null, appends one
// MemoryRegion per arena region (kv_cache, conv_state, recurrent_state, activations,
// scratch, session). hp and options must already be validated.
void carve_executor_buffers(const HyperParams& hp, const ExecutorOptions& options,
                            BumpAllocator& alloc, ExecutorBuffers& out,
                            std::vector<MemoryRegion>* regions);

}  // namespace linnet
