#include "kernels/vec/gated_delta_vec.h"

#include <algorithm>
#include <cmath>

#include "kernels/vec/gated_delta_chunk_impl.h"
#include "kernels/vec/gemm_f32_vec.h"

namespace linnet::kernels {
namespace {

struct VecGemm {
  static void nn(int M, int N, int K, float alpha, const float* a, std::size_t a_rs, std::size_t a_cs, const float* b,
                 std::size_t ldb, float* c, std::size_t ldc, bool accumulate) {
    gemm_nn_f32_vec(M, N, K, alpha, a, a_rs, a_cs, b, ldb, c, ldc, accumulate);
  }
  static void nt(int M, int N, int K, float alpha, const float* a, std::size_t lda, const float* b, std::size_t ldb,
                 float* c, std::size_t ldc, bool accumulate) {
    gemm_nt_f32_vec(M, N, K, alpha, a, lda, b, ldb, c, ldc, accumulate);
  }
};

constexpr int kMaxValueDim = 512;

}  // namespace

LINNET_VEC_CLONES
void gated_delta_step_head_vec(int dk, int dv, const float* q, const float* k, const float* v, float g,
                               float beta, float* state, float* o) {
  // Sweep 1 reads the state once for both S^T k and S^T q; sweep 2 updates it in place.
  float kv[kMaxValueDim];
  const std::size_t DV = static_cast<std::size_t>(std::min(dv, kMaxValueDim));
  const float decay = std::exp(g);
  for (std::size_t j = 0; j < DV; ++j) kv[j] = o[j] = 0.0f;
  float kq = 0.0f;
  for (std::size_t i = 0; i < static_cast<std::size_t>(dk); ++i) {
    const float* s = state + i * DV;
    const float ki = k[i], qi = q[i];
    kq += ki * qi;
    for (std::size_t j = 0; j < DV; ++j) {
      kv[j] += s[j] * ki;
      o[j] += s[j] * qi;
    }
  }
  for (std::size_t j = 0; j < DV; ++j) {
    kv[j] = beta * (v[j] - decay * kv[j]);
    o[j] = decay * o[j] + kv[j] * kq;
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(dk); ++i) {
    float* s = state + i * DV;
    const float ki = k[i];
    for (std::size_t j = 0; j < DV; ++j) s[j] = decay * s[j] + ki * kv[j];
  }
}

std::size_t gated_delta_chunk_scratch_floats_vec(int dk, int dv) {
  return detail::gated_delta_chunk_gemm_scratch_floats(dk, dv);
}

void gated_delta_chunked_head_vec(int dk, int dv, int T, const float* q, const float* k, const float* v,
                                  std::size_t qkv_stride, const float* g, const float* beta,
                                  std::size_t gate_stride, float* state, float* o, std::size_t o_stride,
                                  float* scratch) {
  for (int c0 = 0; c0 < T; c0 += kGatedDeltaChunk) {
    const int L = std::min(kGatedDeltaChunk, T - c0);
    const std::size_t r = static_cast<std::size_t>(c0);
    detail::gated_delta_chunk_head_gemm<VecGemm>(dk, dv, L, q + r * qkv_stride, k + r * qkv_stride,
                                                 v + r * qkv_stride, qkv_stride, g + r * gate_stride,
                                                 beta + r * gate_stride, gate_stride, state, o + r * o_stride,
                                                 o_stride, scratch);
  }
}

}  // namespace linnet::kernels
