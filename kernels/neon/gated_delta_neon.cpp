#include "kernels/neon/gated_delta_neon.h"

#include <arm_neon.h>

#include <algorithm>
#include <cmath>

#include "kernels/neon/gemm_f32_neon.h"
#include "kernels/vec/gated_delta_chunk_impl.h"
#include "kernels/vec/gated_delta_step_tail.h"

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

// One pass over the state per token, 16 value columns (four q-registers) at a time: sweep 1
// reads the tile (dk x 16 floats, in L1 afterwards) for S^T k and S^T q; then
// delta = beta (v - decay S^T k), o = decay S^T q + delta (k . q); sweep 2 writes
// S = decay S + k delta^T over the same tile. Every state column is read from memory once
// and written once. Columns past the last multiple of 16 go one at a time.
void gated_delta_step_head_neon(int dk, int dv, const float* q, const float* k, const float* v, float g, float beta,
                                float* state, float* o) {
  const std::size_t DK = static_cast<std::size_t>(dk), DV = static_cast<std::size_t>(std::min(dv, kMaxValueDim));
  const float decay = std::exp(g);
  float kq = 0.0f;
  for (std::size_t i = 0; i < DK; ++i) kq += k[i] * q[i];
  std::size_t j0 = 0;
  for (; j0 + 16 <= DV; j0 += 16) {
    float32x4_t kv[4], sq[4];
    for (int c = 0; c < 4; ++c) kv[c] = sq[c] = vdupq_n_f32(0.0f);
    for (std::size_t i = 0; i < DK; ++i) {
      const float* s = state + i * DV + j0;
      for (int c = 0; c < 4; ++c) {
        const float32x4_t x = vld1q_f32(s + 4 * c);
        kv[c] = vfmaq_n_f32(kv[c], x, k[i]);
        sq[c] = vfmaq_n_f32(sq[c], x, q[i]);
      }
    }
    float32x4_t d[4];
    for (int c = 0; c < 4; ++c) {
      d[c] = vmulq_n_f32(vfmsq_n_f32(vld1q_f32(v + j0 + 4 * c), kv[c], decay), beta);
      vst1q_f32(o + j0 + 4 * c, vfmaq_n_f32(vmulq_n_f32(sq[c], decay), d[c], kq));
    }
    for (std::size_t i = 0; i < DK; ++i) {
      float* s = state + i * DV + j0;
      for (int c = 0; c < 4; ++c)
        vst1q_f32(s + 4 * c, vfmaq_n_f32(vmulq_n_f32(vld1q_f32(s + 4 * c), decay), d[c], k[i]));
    }
  }
  if (j0 < DV) {
    gated_delta_step_tail_columns(DK, DV, j0, q, k, v, decay, beta, kq, state, o);
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
