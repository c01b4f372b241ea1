#include "kernels/neon/gated_delta_neon.h"

#include <arm_neon.h>

#include <algorithm>
#include <cmath>

#include "kernels/neon/gemm_f32_neon.h"
#include "kernels/vec/gated_delta_chunk_impl.h"

namespace linnet::kernels {
namespace {

struct NeonGemm {
  static void nn(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs, const float* b,
                 std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
    gemm_nn_f32_neon(M, N, K, alpha, a, a_rs, a_cs, b, ldb, c, ldc, accumulate);
  }
  static void nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb,
                 float* c, std::size_t ldc, bool accumulate) {
    gemm_nt_f32_neon(M, N, K, alpha, a, lda, b, ldb, c, ldc, accumulate);
  }
};

constexpr int kMaxValueDim = 512;

}  // namespace

// Sweep 1 (read): kv = S^T k, o = S^T q, two state rows at a time; sweep 2 (read-write):
// S = decay S + k delta^T with delta = beta (v - decay kv). dv a multiple of 4 takes the
// vector path throughout; other widths finish each row with scalars.
void gated_delta_step_head_neon(int dk, int dv, const float* q, const float* k, const float* v, float g, float beta,
                                float* state, float* o) {
  float kv[kMaxValueDim];
  const std::size_t DV = static_cast<std::size_t>(std::min(dv, kMaxValueDim));
  const std::size_t DV4 = DV & ~std::size_t{3};
  const float decay = std::exp(g);
  for (std::size_t j = 0; j < DV; ++j) kv[j] = o[j] = 0.0f;
  float kq = 0.0f;
  for (std::size_t i = 0; i < static_cast<std::size_t>(dk); ++i) {
    const float* s = state + i * DV;
    const float ki = k[i], qi = q[i];
    kq += ki * qi;
    std::size_t j = 0;
    for (; j < DV4; j += 4) {
      const float32x4_t sv = vld1q_f32(s + j);
      vst1q_f32(kv + j, vfmaq_n_f32(vld1q_f32(kv + j), sv, ki));
      vst1q_f32(o + j, vfmaq_n_f32(vld1q_f32(o + j), sv, qi));
    }
    for (; j < DV; ++j) {
      kv[j] += s[j] * ki;
      o[j] += s[j] * qi;
    }
  }
  {
    std::size_t j = 0;
    const float32x4_t vdecay = vdupq_n_f32(decay);
    for (; j < DV4; j += 4) {
      const float32x4_t d = vmulq_n_f32(vfmsq_f32(vld1q_f32(v + j), vdecay, vld1q_f32(kv + j)), beta);
      vst1q_f32(kv + j, d);
      vst1q_f32(o + j, vfmaq_n_f32(vmulq_f32(vdecay, vld1q_f32(o + j)), d, kq));
    }
    for (; j < DV; ++j) {
      kv[j] = beta * (v[j] - decay * kv[j]);
      o[j] = decay * o[j] + kv[j] * kq;
    }
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(dk); ++i) {
    float* s = state + i * DV;
    const float ki = k[i];
    std::size_t j = 0;
    for (; j < DV4; j += 4) vst1q_f32(s + j, vfmaq_n_f32(vmulq_n_f32(vld1q_f32(s + j), decay), vld1q_f32(kv + j), ki));
    for (; j < DV; ++j) s[j] = decay * s[j] + ki * kv[j];
  }
}

void gated_delta_chunked_head_neon(int dk, int dv, int T, const float* q, const float* k, const float* v,
                                   std::size_t qkv_stride, const float* g, const float* beta, std::size_t gate_stride,
                                   float* state, float* o, std::size_t o_stride, float* scratch) {
  for (int c0 = 0; c0 < T; c0 += kGatedDeltaChunk) {
    const int L = std::min(kGatedDeltaChunk, T - c0);
    const std::size_t r = static_cast<std::size_t>(c0);
    detail::gated_delta_chunk_head_gemm<NeonGemm>(dk, dv, L, q + r * qkv_stride, k + r * qkv_stride,
                                                  v + r * qkv_stride, qkv_stride, g + r * gate_stride,
                                                  beta + r * gate_stride, gate_stride, state, o + r * o_stride,
                                                  o_stride, scratch);
  }
}

}  // namespace linnet::kernels
