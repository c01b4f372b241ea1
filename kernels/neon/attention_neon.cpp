#include "kernels/neon/attention_neon.h"

#include <arm_neon.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "kernels/neon/gemm_f32_neon.h"
#include "kernels/neon/math_neon.h"
#include "kernels/vec/attention_head_impl.h"

namespace linnet::kernels {
namespace {

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// p[i] *= s[i], i < n.
void scale_by(float* p, const float* s, std::size_t n) {
  const std::size_t n4 = n & ~std::size_t{3};
  std::size_t i = 0;
  for (; i < n4; i += 4) vst1q_f32(p + i, vmulq_f32(vld1q_f32(p + i), vld1q_f32(s + i)));
  for (; i < n; ++i) p[i] *= s[i];
}

// The matrix products and softmax of kernels/vec/attention_head_impl.h with NEON intrinsics.
struct NeonAttentionOps {
  static void nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb,
                 float* c, std::size_t ldc) {
    gemm_nt_f32_neon(M, N, K, alpha, a, lda, b, ldb, c, ldc, false);
  }
  static void nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const Half* b, std::size_t ldb,
                 float* c, std::size_t ldc) {
    gemm_nt_f32_f16b_neon(M, N, K, alpha, a, lda, b, ldb, c, ldc, false);
  }
  static void nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const std::int8_t* b,
                 std::size_t ldb, float* c, std::size_t ldc) {
    gemm_nt_f32_i8b_neon(M, N, K, alpha, a, lda, b, ldb, c, ldc, false);
  }
  static void nn(int M, int N, int K, const float* a, std::size_t lda, const float* b, std::size_t ldb, float* c,
                 std::size_t ldc) {
    gemm_nn_f32_neon(M, N, K, 1.0f, a, lda, 1, b, ldb, c, ldc, false);
  }
  static void nn(int M, int N, int K, const float* a, std::size_t lda, const Half* b, std::size_t ldb, float* c,
                 std::size_t ldc) {
    gemm_nn_f32_f16b_neon(M, N, K, 1.0f, a, lda, 1, b, ldb, c, ldc, false);
  }
  static void nn(int M, int N, int K, const float* a, std::size_t lda, const std::int8_t* b, std::size_t ldb, float* c,
                 std::size_t ldc) {
    gemm_nn_f32_i8b_neon(M, N, K, 1.0f, a, lda, 1, b, ldb, c, ldc, false);
  }
  // p[0, n) = softmax(p[0, n) * k_scale) * v_scale, p[n, width) = 0; a null scale is 1
  // (the int8 cache's row scales, kernels/vec/attention_head_impl.h).
  static void softmax_masked(float* p, int n, int width, const float* k_scale, const float* v_scale) {
    const std::size_t N = sz(n), N4 = N & ~std::size_t{3};
    if (k_scale != nullptr) scale_by(p, k_scale, N);
    float32x4_t vm = vdupq_n_f32(-INFINITY);
    std::size_t i = 0;
    for (; i < N4; i += 4) vm = vmaxq_f32(vm, vld1q_f32(p + i));
    float m = vmaxvq_f32(vm);
    for (; i < N; ++i) m = std::max(m, p[i]);
    const float32x4_t vmax = vdupq_n_f32(m);
    float32x4_t vs = vdupq_n_f32(0.0f);
    for (i = 0; i < N4; i += 4) {
      const float32x4_t e = neon::exp_f32x4(vsubq_f32(vld1q_f32(p + i), vmax));
      vst1q_f32(p + i, e);
      vs = vaddq_f32(vs, e);
    }
    float sum = vaddvq_f32(vs);
    for (; i < N; ++i) {
      p[i] = std::exp(p[i] - m);
      sum += p[i];
    }
    const float inv = 1.0f / sum;
    for (i = 0; i < N4; i += 4) vst1q_f32(p + i, vmulq_n_f32(vld1q_f32(p + i), inv));
    for (; i < N; ++i) p[i] *= inv;
    if (v_scale != nullptr) scale_by(p, v_scale, N);
    for (i = N; i < sz(width); ++i) p[i] = 0.0f;
  }
};

}  // namespace

template <typename KV>
void attention_decode_head_neon(int hd, const float* q, const KV* k, const KV* v, int n_keys, float* out,
                                float* scratch) {
  detail::attention_decode_head<NeonAttentionOps>(hd, q, k, v, n_keys, out, scratch);
}

template <typename KV>
void attention_prefill_head_neon(int hd, int T, int first_position, const float* q, std::size_t q_stride, const KV* k,
                                 const KV* v, float* out, std::size_t out_stride, float* scratch) {
  detail::attention_prefill_head<NeonAttentionOps>(hd, T, first_position, q, q_stride, k, v, out, out_stride, scratch);
}

void attention_decode_head_i8_neon(int hd, const float* q, Int8Rows k, Int8Rows v, int n_keys, float* out,
                                   float* scratch) {
  detail::attention_decode_head<NeonAttentionOps>(hd, q, k, v, n_keys, out, scratch);
}

void attention_prefill_head_i8_neon(int hd, int T, int first_position, const float* q, std::size_t q_stride,
                                    Int8Rows k, Int8Rows v, float* out, std::size_t out_stride, float* scratch) {
  detail::attention_prefill_head<NeonAttentionOps>(hd, T, first_position, q, q_stride, k, v, out, out_stride, scratch);
}

namespace {

// scores[p] = alpha * k.scales[p] * (q8 . k row p), p < n; the dot products exact in int32.
// Four key rows at a time share each 16-byte load of the query.
__attribute__((target("+dotprod"))) void int8_scores_dotprod(const std::int8_t* q8, int hd, Int8Rows k, int n,
                                                             float alpha, float* scores) {
  const std::size_t H = sz(hd), H16 = H & ~std::size_t{15};
  auto tail = [&](const std::int8_t* row) {
    std::int32_t sum = 0;
    for (std::size_t i = H16; i < H; ++i) sum += std::int32_t{q8[i]} * std::int32_t{row[i]};
    return sum;
  };
  int p = 0;
  for (; p + 4 <= n; p += 4) {
    const std::int8_t* r0 = k.values + sz(p) * H;
    const std::int8_t *r1 = r0 + H, *r2 = r1 + H, *r3 = r2 + H;
    int32x4_t a0 = vdupq_n_s32(0), a1 = a0, a2 = a0, a3 = a0;
    for (std::size_t i = 0; i < H16; i += 16) {
      const int8x16_t qv = vld1q_s8(q8 + i);
      a0 = vdotq_s32(a0, qv, vld1q_s8(r0 + i));
      a1 = vdotq_s32(a1, qv, vld1q_s8(r1 + i));
      a2 = vdotq_s32(a2, qv, vld1q_s8(r2 + i));
      a3 = vdotq_s32(a3, qv, vld1q_s8(r3 + i));
    }
    const std::int32_t d[4] = {vaddvq_s32(a0) + tail(r0), vaddvq_s32(a1) + tail(r1), vaddvq_s32(a2) + tail(r2),
                               vaddvq_s32(a3) + tail(r3)};
    for (int j = 0; j < 4; ++j) scores[p + j] = alpha * k.scales[p + j] * static_cast<float>(d[j]);
  }
  for (; p < n; ++p) {
    const std::int8_t* r = k.values + sz(p) * H;
    int32x4_t a = vdupq_n_s32(0);
    for (std::size_t i = 0; i < H16; i += 16) a = vdotq_s32(a, vld1q_s8(q8 + i), vld1q_s8(r + i));
    scores[p] = alpha * k.scales[p] * static_cast<float>(vaddvq_s32(a) + tail(r));
  }
}

}  // namespace

void attention_decode_head_i8_dotprod(int hd, const float* q, Int8Rows k, Int8Rows v, int n_keys, float* out,
                                      float* scratch) {
  constexpr int kMaxHeadDim = 512;
  if (hd > kMaxHeadDim) {
    attention_decode_head_i8_neon(hd, q, k, v, n_keys, out, scratch);
    return;
  }
  alignas(16) std::int8_t q8[kMaxHeadDim];
  float q_scale = 0.0f;
  quantize_row_int8(q, hd, q8, &q_scale);
  const float alpha = q_scale / std::sqrt(static_cast<float>(hd));
  int8_scores_dotprod(q8, hd, k, n_keys, alpha, scratch);
  NeonAttentionOps::softmax_masked(scratch, n_keys, n_keys, nullptr, v.scales);
  NeonAttentionOps::nn(1, hd, n_keys, scratch, sz(n_keys), v.values, sz(hd), out, sz(hd));
}

template void attention_decode_head_neon<float>(int, const float*, const float*, const float*, int, float*, float*);
template void attention_decode_head_neon<Half>(int, const float*, const Half*, const Half*, int, float*, float*);
template void attention_prefill_head_neon<float>(int, int, int, const float*, std::size_t, const float*, const float*,
                                                 float*, std::size_t, float*);
template void attention_prefill_head_neon<Half>(int, int, int, const float*, std::size_t, const Half*, const Half*,
                                                float*, std::size_t, float*);

}  // namespace linnet::kernels
