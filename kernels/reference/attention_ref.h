// Causal softmax attention with grouped KV heads over a KV cache
// (../shared/docs/qwen35-reference.md, "Gated attention layer", step 4), float32.
//
// KV cache of one layer: k_cache and v_cache, each [Hkv, capacity, hd] (head-major: the
// keys of one head are consecutive rows), row p holding position p. The caller writes the
// new tokens' (normed, rotated) keys and values into the cache before calling.
// Query head h reads KV head h / (H / Hkv). Scores are scaled by 1/sqrt(hd); the softmax
// subtracts the row maximum.
#pragma once

#include <cstddef>

#include "kernels/reference/int8_rows.h"

namespace linnet::kernels {

// Query rows per block in the blocked prefill (scores for one block: [block, keys]).
inline constexpr int kAttentionQueryBlock = 16;

struct AttentionShape {
  int num_heads = 0;     // H
  int num_kv_heads = 0;  // Hkv (divides H)
  int head_dim = 0;      // hd
};

// One query token at position n_keys - 1, attending to cache rows [0, n_keys).
// q: head h at q + h * q_head_stride ([hd] each). out [H * hd]. scratch: n_keys floats.
// All caller-owned, used only during the call.
void attention_decode_ref(const AttentionShape& shape, const float* q, std::size_t q_head_stride,
                          const float* k_cache, const float* v_cache, int capacity, int n_keys,
                          float* out, float* scratch);

// T query tokens at positions first_position .. first_position + T - 1 (cache rows up to
// first_position + T - 1 already written). Token t attends to rows [0, first_position + t].
// q: token t head h at q + t * q_token_stride + h * q_head_stride. out [T, H * hd].
// Computed in blocks of kAttentionQueryBlock queries: S = Q_blk K^T, causal mask, softmax,
// O = P V. scratch: attention_prefill_scratch_floats(capacity) floats.
void attention_prefill_ref(const AttentionShape& shape, int T, int first_position, const float* q,
                           std::size_t q_token_stride, std::size_t q_head_stride,
                           const float* k_cache, const float* v_cache, int capacity, float* out,
                           float* scratch);
std::size_t attention_prefill_scratch_floats(int capacity);

// The same over an int8 cache (kernels/reference/int8_rows.h): k_cache and v_cache hold
// Hkv * capacity rows of hd values (KV head h's rows start at row h * capacity), each
// dequantized (value * row scale) where it is used: the result is the float kernel's on
// the dequantized cache.
void attention_decode_ref(const AttentionShape& shape, const float* q, std::size_t q_head_stride,
                          Int8Rows k_cache, Int8Rows v_cache, int capacity, int n_keys, float* out,
                          float* scratch);
void attention_prefill_ref(const AttentionShape& shape, int T, int first_position, const float* q,
                           std::size_t q_token_stride, std::size_t q_head_stride, Int8Rows k_cache,
                           Int8Rows v_cache, int capacity, float* out, float* scratch);

}  // namespace linnet::kernels
