// Per-head causal attention with NEON intrinsics (aarch64): the contracts of
// kernels/vec/attention_vec.h (decode, and blocked prefill of kAttentionQueryBlock queries),
// over float32, IEEE-half or int8 (Int8Rows: scales folded as in attention_vec.h) caches,
// with a NEON exp in the softmax.
#pragma once

#include <cstddef>

#include "kernels/reference/int8_rows.h"
#include "kernels/vec/vec_target.h"

namespace linnet::kernels {

template <typename KV>
void attention_decode_head_neon(int hd, const float* q, const KV* k, const KV* v, int n_keys, float* out,
                                float* scratch);

template <typename KV>
void attention_prefill_head_neon(int hd, int T, int first_position, const float* q, std::size_t q_stride, const KV* k,
                                 const KV* v, float* out, std::size_t out_stride, float* scratch);

void attention_decode_head_i8_neon(int hd, const float* q, Int8Rows k, Int8Rows v, int n_keys, float* out,
                                   float* scratch);
void attention_prefill_head_i8_neon(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                    Int8Rows k, Int8Rows v, float* out, std::size_t out_stride, float* scratch);

}  // namespace linnet::kernels
