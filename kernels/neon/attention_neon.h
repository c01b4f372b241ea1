// Per-head causal attention with NEON intrinsics (aarch64): the contracts of
// kernels/vec/attention_vec.h (decode, and blocked prefill of kAttentionQueryBlock queries),
// over float32 or IEEE-half caches, with a NEON exp in the softmax.
#pragma once

#include <cstddef>

#include "kernels/vec/vec_target.h"

namespace linnet::kernels {

template <typename KV>
void attention_decode_head_neon(int hd, const float* q, const KV* k, const KV* v, int n_keys, float* out,
                                float* scratch);

template <typename KV>
void attention_prefill_head_neon(int hd, int T, int first_position, const float* q, std::size_t q_stride, const KV* k,
                                 const KV* v, float* out, std::size_t out_stride, float* scratch);

}  // namespace linnet::kernels
