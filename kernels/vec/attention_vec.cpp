#include "kernels/vec/attention_vec.h"

#include <algorithm>
#include <cmath>

#include "kernels/reference/attention_ref.h"
#include "kernels/vec/gemm_f32_vec.h"

namespace linnet::kernels {
namespace {

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// S = alpha * A B^T and O = P V for each cache element type. An int8 cache's products are
// over its integer values; softmax_masked applies the row scales (see the header).
void gemm_nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb,
             float* c, std::size_t ldc) {
  gemm_nt_f32_vec(M, N, K, alpha, a, lda, b, ldb, c, ldc, false);
}
void gemm_nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const Half* b, std::size_t ldb,
             float* c, std::size_t ldc) {
  gemm_nt_f32_f16b_vec(M, N, K, alpha, a, lda, b, ldb, c, ldc, false);
}
void gemm_nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, Int8Rows b, std::size_t ldb,
             float* c, std::size_t ldc) {
  gemm_nt_f32_i8b_vec(M, N, K, alpha, a, lda, b.values, ldb, c, ldc, false);
}
void gemm_nn(int M, int N, int K, const float* a, std::size_t lda, const float* b, std::size_t ldb, float* c,
             std::size_t ldc) {
  gemm_nn_f32_vec(M, N, K, 1.0f, a, lda, 1, b, ldb, c, ldc, false);
}
void gemm_nn(int M, int N, int K, const float* a, std::size_t lda, const Half* b, std::size_t ldb, float* c,
             std::size_t ldc) {
  gemm_nn_f32_f16b_vec(M, N, K, 1.0f, a, lda, 1, b, ldb, c, ldc, false);
}
void gemm_nn(int M, int N, int K, const float* a, std::size_t lda, Int8Rows b, std::size_t ldb, float* c,
             std::size_t ldc) {
  gemm_nn_f32_i8b_vec(M, N, K, 1.0f, a, lda, 1, b.values, ldb, c, ldc, false);
}

// The per-row scales of a cache (null: none, the values are the numbers).
const float* row_scales(const float*) { return nullptr; }
const float* row_scales(const Half*) { return nullptr; }
const float* row_scales(Int8Rows rows) { return rows.scales; }

// In place over scores p[0, width) of keys [0, width):
//   p[i] *= k_scale[i]              (when k_scale: the key rows' int8 scales)
//   p[0, n) = softmax(p[0, n)); p[n, width) = 0 (masked keys)
//   p[i] *= v_scale[i]              (when v_scale: folds the value rows' scales into P)
void softmax_masked(float* p, int n, int width, const float* k_scale, const float* v_scale) {
  if (k_scale != nullptr)
    for (int i = 0; i < n; ++i) p[i] *= k_scale[i];
  float m = p[0];
  for (int i = 1; i < n; ++i) m = std::max(m, p[i]);
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    p[i] = std::exp(p[i] - m);
    sum += p[i];
  }
  const float inv = 1.0f / sum;
  if (v_scale != nullptr) {
    for (int i = 0; i < n; ++i) p[i] *= inv * v_scale[i];
  } else {
    for (int i = 0; i < n; ++i) p[i] *= inv;
  }
  for (int i = n; i < width; ++i) p[i] = 0.0f;
}

template <typename Cache>
void decode_head(int hd, const float* q, Cache k, Cache v, int n_keys, float* out, float* scratch) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  gemm_nt(1, n_keys, hd, scale, q, sz(hd), k, sz(hd), scratch, sz(n_keys));
  softmax_masked(scratch, n_keys, n_keys, row_scales(k), row_scales(v));
  gemm_nn(1, hd, n_keys, scratch, sz(n_keys), v, sz(hd), out, sz(hd));
}

template <typename Cache>
void prefill_head(int hd, int T, int first_position, const float* q, std::size_t q_stride, Cache k, Cache v,
                  float* out, std::size_t out_stride, float* scratch) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int b0 = 0; b0 < T; b0 += kAttentionQueryBlock) {
    const int rows = std::min(kAttentionQueryBlock, T - b0);
    const int width = first_position + b0 + rows;  // keys visible to the block's last query
    // S [rows, width] (row stride width) = scale * Q_blk K^T.
    gemm_nt(rows, width, hd, scale, q + sz(b0) * q_stride, q_stride, k, sz(hd), scratch, sz(width));
    for (int r = 0; r < rows; ++r)
      softmax_masked(scratch + sz(r) * sz(width), first_position + b0 + r + 1, width, row_scales(k), row_scales(v));
    gemm_nn(rows, hd, width, scratch, sz(width), v, sz(hd), out + sz(b0) * out_stride, out_stride);
  }
}

}  // namespace

std::size_t attention_prefill_head_scratch_floats(int n_keys) { return sz(kAttentionQueryBlock) * sz(n_keys); }

template <typename KV>
void attention_decode_head_vec(int hd, const float* q, const KV* k, const KV* v, int n_keys, float* out,
                               float* scratch) {
  decode_head(hd, q, k, v, n_keys, out, scratch);
}

template <typename KV>
void attention_prefill_head_vec(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                const KV* k, const KV* v, float* out, std::size_t out_stride, float* scratch) {
  prefill_head(hd, T, first_position, q, q_stride, k, v, out, out_stride, scratch);
}

void attention_decode_head_i8_vec(int hd, const float* q, Int8Rows k, Int8Rows v, int n_keys, float* out,
                                  float* scratch) {
  decode_head(hd, q, k, v, n_keys, out, scratch);
}

void attention_prefill_head_i8_vec(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                   Int8Rows k, Int8Rows v, float* out, std::size_t out_stride, float* scratch) {
  prefill_head(hd, T, first_position, q, q_stride, k, v, out, out_stride, scratch);
}

template void attention_decode_head_vec<float>(int, const float*, const float*, const float*, int, float*, float*);
template void attention_decode_head_vec<Half>(int, const float*, const Half*, const Half*, int, float*, float*);
template void attention_prefill_head_vec<float>(int, int, int, const float*, std::size_t, const float*, const float*,
                                                float*, std::size_t, float*);
template void attention_prefill_head_vec<Half>(int, int, int, const float*, std::size_t, const Half*, const Half*,
                                               float*, std::size_t, float*);

}  // namespace linnet::kernels
