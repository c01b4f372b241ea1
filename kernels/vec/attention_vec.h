// Causal softmax attention for one query head over its KV head's cache, portable vector
// version; the same math as kernels/reference/attention_ref.h, one head per call so the
// caller can spread heads over threads. The cache rows may be float32, IEEE half (Half) or
// int8 with a scale per row (Int8Rows, kernels/reference/int8_rows.h).
//
// Cache of one KV head: k, v [capacity, hd] rows (row p = position p), already holding the
// new tokens' keys and values. Scores are scaled by 1/sqrt(hd); softmax subtracts the row max.
#pragma once

#include <cstddef>

#include "kernels/reference/int8_rows.h"
#include "kernels/vec/vec_target.h"

namespace linnet::kernels {

// One query (position n_keys - 1) against rows [0, n_keys). q [hd], out [hd].
// scratch: n_keys floats. All caller-owned, call-scoped.
template <typename KV>
void attention_decode_head_vec(int hd, const float* q, const KV* k, const KV* v, int n_keys, float* out,
                               float* scratch);

// T queries at positions first_position + t; query t sees rows [0, first_position + t].
// Query t at q + t * q_stride, output row t at out + t * out_stride ([hd] each).
// Blocks of kAttentionQueryBlock queries: S = Q K^T over the block's visible keys, causal
// mask, softmax, O = P V. scratch: attention_prefill_head_scratch_floats(first_position + T).
template <typename KV>
void attention_prefill_head_vec(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                const KV* k, const KV* v, float* out, std::size_t out_stride, float* scratch);

// Over an int8 cache: the scores are q . k_int8 times the key row's scale, and the value
// rows' scales are folded into the probabilities (P'[p] = P[p] * v_scale[p]), so the
// matrix products run on the int8 values directly.
void attention_decode_head_i8_vec(int hd, const float* q, Int8Rows k, Int8Rows v, int n_keys, float* out,
                                  float* scratch);
void attention_prefill_head_i8_vec(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                   Int8Rows k, Int8Rows v, float* out, std::size_t out_stride, float* scratch);

std::size_t attention_prefill_head_scratch_floats(int n_keys);

}  // namespace linnet::kernels
