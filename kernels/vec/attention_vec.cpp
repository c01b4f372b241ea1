#include "kernels/vec/attention_vec.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/vec/attention_head_impl.h"
#include "kernels/vec/gemm_f32_vec.h"

namespace linnet::kernels {
namespace {

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// The matrix products and softmax of kernels/vec/attention_head_impl.h, portable vector code.
// An int8 cache's products are over its integer values (the impl applies the row scales).
struct VecAttentionOps {
  static void nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb,
                 float* c, std::size_t ldc) {
    gemm_nt_f32_vec(M, N, K, alpha, a, lda, b, ldb, c, ldc, false);
  }
  static void nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const Half* b, std::size_t ldb,
                 float* c, std::size_t ldc) {
    gemm_nt_f32_f16b_vec(M, N, K, alpha, a, lda, b, ldb, c, ldc, false);
  }
  static void nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const std::int8_t* b,
                 std::size_t ldb, float* c, std::size_t ldc) {
    gemm_nt_f32_i8b_vec(M, N, K, alpha, a, lda, b, ldb, c, ldc, false);
  }
  static void nn(int M, int N, int K, const float* a, std::size_t lda, const float* b, std::size_t ldb, float* c,
                 std::size_t ldc) {
    gemm_nn_f32_vec(M, N, K, 1.0f, a, lda, 1, b, ldb, c, ldc, false);
  }
  static void nn(int M, int N, int K, const float* a, std::size_t lda, const Half* b, std::size_t ldb, float* c,
                 std::size_t ldc) {
    gemm_nn_f32_f16b_vec(M, N, K, 1.0f, a, lda, 1, b, ldb, c, ldc, false);
  }
  static void nn(int M, int N, int K, const float* a, std::size_t lda, const std::int8_t* b, std::size_t ldb, float* c,
                 std::size_t ldc) {
    gemm_nn_f32_i8b_vec(M, N, K, 1.0f, a, lda, 1, b, ldb, c, ldc, false);
  }
  // In place over scores p[0, width) of keys [0, width):
  //   p[i] *= k_scale[i]              (when k_scale: the key rows' int8 scales)
  //   p[0, n) = softmax(p[0, n)); p[n, width) = 0 (masked keys)
  //   p[i] *= v_scale[i]              (when v_scale: folds the value rows' scales into P)
  static void softmax_masked(float* p, int n, int width, const float* k_scale, const float* v_scale) {
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
};

}  // namespace

std::size_t attention_prefill_head_scratch_floats(int n_keys) { return sz(kAttentionQueryBlock) * sz(n_keys); }

template <typename KV>
void attention_decode_head_vec(int hd, const float* q, const KV* k, const KV* v, int n_keys, float* out,
                               float* scratch) {
  detail::attention_decode_head<VecAttentionOps>(hd, q, k, v, n_keys, out, scratch);
}

template <typename KV>
void attention_prefill_head_vec(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                const KV* k, const KV* v, float* out, std::size_t out_stride, float* scratch) {
  detail::attention_prefill_head<VecAttentionOps>(hd, T, first_position, q, q_stride, k, v, out, out_stride, scratch);
}

void attention_decode_head_i8_vec(int hd, const float* q, Int8Rows k, Int8Rows v, int n_keys, float* out,
                                  float* scratch) {
  detail::attention_decode_head<VecAttentionOps>(hd, q, k, v, n_keys, out, scratch);
}

void attention_prefill_head_i8_vec(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                   Int8Rows k, Int8Rows v, float* out, std::size_t out_stride, float* scratch) {
  detail::attention_prefill_head<VecAttentionOps>(hd, T, first_position, q, q_stride, k, v, out, out_stride, scratch);
}

template void attention_decode_head_vec<float>(int, const float*, const float*, const float*, int, float*, float*);
template void attention_decode_head_vec<Half>(int, const float*, const Half*, const Half*, int, float*, float*);
template void attention_prefill_head_vec<float>(int, int, int, const float*, std::size_t, const float*, const float*,
                                                float*, std::size_t, float*);
template void attention_prefill_head_vec<Half>(int, int, int, const float*, std::size_t, const Half*, const Half*,
                                               float*, std::size_t, float*);

}  // namespace linnet::kernels
