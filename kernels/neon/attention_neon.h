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

// Decode over an int8 cache with the dot-product instructions (SDOT, FEAT_DotProd: Cortex-A76
// and later, chosen at load from cpuinfo): the query is quantized to int8 like a cache row
// (quantize_row_int8: one scale, error at most half a step), the scores are exact int32 dot
// products of the int8 query and key rows times both scales; the probabilities times V stay
// float32 (attention_decode_head_i8_neon's). Equals attention_decode_head_i8_neon on the
// dequantized query. Heads of more than 512 dimensions take the float path.
void attention_decode_head_i8_dotprod(int hd, const float* q, Int8Rows k, Int8Rows v, int n_keys, float* out,
                                      float* scratch);

}  // namespace linnet::kernels
