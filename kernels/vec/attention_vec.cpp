#include "kernels/vec/attention_vec.h"

#include <algorithm>
#include <cmath>

#include "kernels/reference/attention_ref.h"
#include "kernels/vec/gemm_f32_vec.h"

namespace linnet::kernels {
namespace {

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

void gemm_nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb,
             float* c, std::size_t ldc) {
  gemm_nt_f32_vec(M, N, K, alpha, a, lda, b, ldb, c, ldc, false);
}
void gemm_nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const Half* b, std::size_t ldb,
             float* c, std::size_t ldc) {
  gemm_nt_f32_f16b_vec(M, N, K, alpha, a, lda, b, ldb, c, ldc, false);
}
void gemm_nn(int M, int N, int K, const float* a, std::size_t lda, const float* b, std::size_t ldb, float* c,
             std::size_t ldc) {
  gemm_nn_f32_vec(M, N, K, 1.0f, a, lda, 1, b, ldb, c, ldc, false);
}
void gemm_nn(int M, int N, int K, const float* a, std::size_t lda, const Half* b, std::size_t ldb, float* c,
             std::size_t ldc) {
  gemm_nn_f32_f16b_vec(M, N, K, 1.0f, a, lda, 1, b, ldb, c, ldc, false);
}

// In place: p[0, n) = softmax(p[0, n)); p[n, width) = 0 (masked keys).
void softmax_masked(float* p, int n, int width) {
  float m = p[0];
  for (int i = 1; i < n; ++i) m = std::max(m, p[i]);
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) {
    p[i] = std::exp(p[i] - m);
    sum += p[i];
  }
  const float inv = 1.0f / sum;
  for (int i = 0; i < n; ++i) p[i] *= inv;
  for (int i = n; i < width; ++i) p[i] = 0.0f;
}

}  // namespace

std::size_t attention_prefill_head_scratch_floats(int n_keys) { return sz(kAttentionQueryBlock) * sz(n_keys); }

template <typename KV>
void attention_decode_head_vec(int hd, const float* q, const KV* k, const KV* v, int n_keys, float* out,
                               float* scratch) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  gemm_nt(1, n_keys, hd, scale, q, sz(hd), k, sz(hd), scratch, sz(n_keys));
  softmax_masked(scratch, n_keys, n_keys);
  gemm_nn(1, hd, n_keys, scratch, sz(n_keys), v, sz(hd), out, sz(hd));
}

template <typename KV>
void attention_prefill_head_vec(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                const KV* k, const KV* v, float* out, std::size_t out_stride, float* scratch) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  for (int b0 = 0; b0 < T; b0 += kAttentionQueryBlock) {
    const int rows = std::min(kAttentionQueryBlock, T - b0);
    const int width = first_position + b0 + rows;  // keys visible to the block's last query
    // S [rows, width] (row stride width) = scale * Q_blk K^T.
    gemm_nt(rows, width, hd, scale, q + sz(b0) * q_stride, q_stride, k, sz(hd), scratch, sz(width));
    for (int r = 0; r < rows; ++r) softmax_masked(scratch + sz(r) * sz(width), first_position + b0 + r + 1, width);
    gemm_nn(rows, hd, width, scratch, sz(width), v, sz(hd), out + sz(b0) * out_stride, out_stride);
  }
}

template void attention_decode_head_vec<float>(int, const float*, const float*, const float*, int, float*, float*);
template void attention_decode_head_vec<Half>(int, const float*, const Half*, const Half*, int, float*, float*);
template void attention_prefill_head_vec<float>(int, int, int, const float*, std::size_t, const float*, const float*,
                                                float*, std::size_t, float*);
template void attention_prefill_head_vec<Half>(int, int, int, const float*, std::size_t, const Half*, const Half*,
                                               float*, std::size_t, float*);

}  // namespace linnet::kernels
