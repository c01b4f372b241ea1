// Causal attention for one query head, written once over an ops provider so the portable
// (kernels/vec) and NEON (kernels/neon) versions share the algorithm and differ only in
// their matrix products and softmax (as kernels/vec/gated_delta_chunk_impl.h does for the
// delta rule). Contracts: kernels/vec/attention_vec.h; the oracle: kernels/reference/attention_ref.h.
//
//   decode:  s = scale * K q; P = softmax(s); o = P V
//   prefill: per block of kAttentionQueryBlock queries, S = scale * Q_blk K^T over the keys
//            the block's last query sees, causal mask + softmax per row, O = P V
//
// An int8 cache (Int8Rows) is multiplied as integers: the key rows' scales multiply the
// scores and the value rows' scales are folded into P inside the softmax.
//
// Internal to kernels/vec and kernels/neon.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "kernels/reference/attention_ref.h"
#include "kernels/reference/int8_rows.h"
#include "kernels/vec/vec_target.h"

namespace linnet::kernels::detail {

// The values a cache's matrix products read, and its per-row scales (null: none).
inline const float* cache_values(const float* c) { return c; }
inline const Half* cache_values(const Half* c) { return c; }
inline const std::int8_t* cache_values(Int8Rows c) { return c.values; }
inline const float* row_scales(const float*) { return nullptr; }
inline const float* row_scales(const Half*) { return nullptr; }
inline const float* row_scales(Int8Rows c) { return c.scales; }

// Ops provides, B one of float, Half, std::int8_t:
//   static void nt(int M, int N, int K, float alpha, const float* a, size_t lda, const B* b, size_t ldb,
//                  float* c, size_t ldc);                       C = alpha A B^T
//   static void nn(int M, int N, int K, const float* a, size_t lda, const B* b, size_t ldb,
//                  float* c, size_t ldc);                       C = A B
//   static void softmax_masked(float* p, int n, int width, const float* k_scale, const float* v_scale);
//       p[0, n) = softmax(p[0, n) * k_scale) * v_scale, p[n, width) = 0; a null scale is 1
template <typename Ops, typename Cache>
void attention_decode_head(int hd, const float* q, Cache k, Cache v, int n_keys, float* out, float* scratch) {
  const std::size_t H = static_cast<std::size_t>(hd), N = static_cast<std::size_t>(n_keys);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  Ops::nt(1, n_keys, hd, scale, q, H, cache_values(k), H, scratch, N);
  Ops::softmax_masked(scratch, n_keys, n_keys, row_scales(k), row_scales(v));
  Ops::nn(1, hd, n_keys, scratch, N, cache_values(v), H, out, H);
}

template <typename Ops, typename Cache>
void attention_prefill_head(int hd, int T, int first_position, const float* q, std::size_t q_stride, Cache k, Cache v,
                            float* out, std::size_t out_stride, float* scratch) {
  const std::size_t H = static_cast<std::size_t>(hd);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int b0 = 0; b0 < T; b0 += kAttentionQueryBlock) {
    const int rows = std::min(kAttentionQueryBlock, T - b0);
    const int width = first_position + b0 + rows;  // keys visible to the block's last query
    const std::size_t B0 = static_cast<std::size_t>(b0), W = static_cast<std::size_t>(width);
    // S [rows, width] (row stride width) = scale * Q_blk K^T.
    Ops::nt(rows, width, hd, scale, q + B0 * q_stride, q_stride, cache_values(k), H, scratch, W);
    for (int r = 0; r < rows; ++r)
      Ops::softmax_masked(scratch + static_cast<std::size_t>(r) * W, first_position + b0 + r + 1, width, row_scales(k),
                          row_scales(v));
    Ops::nn(rows, hd, width, scratch, W, cache_values(v), H, out + B0 * out_stride, out_stride);
  }
}

}  // namespace linnet::kernels::detail
