#include "kernels/vec/gated_delta_vec.h"

#include <algorithm>
#include <cmath>

#include "kernels/vec/gated_delta_chunk_impl.h"
#include "kernels/vec/gated_delta_step_tail.h"
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

// One pass over the state per token, 16 value columns at a time: for a tile of columns,
// sweep 1 reads the tile (dk x 16 floats, a few KB: it stays in L1) for S^T k and S^T q,
// then delta = beta (v - decay S^T k) and o = decay S^T q + delta (k . q) for the tile, and
// sweep 2 writes S = decay S + k delta^T over the same, still cached, tile. So every state
// column is read from memory once and written once.
LINNET_VEC_CLONES
void gated_delta_step_head_vec(int dk, int dv, const float* q, const float* k, const float* v, float g,
                               float beta, float* state, float* o) {
  typedef float V8 __attribute__((vector_size(32), aligned(4), may_alias));
  const auto ld = [](const float* p) { return *reinterpret_cast<const V8*>(p); };
  const auto st = [](float* p, V8 x) { *reinterpret_cast<V8*>(p) = x; };
  const std::size_t DK = static_cast<std::size_t>(dk), DV = static_cast<std::size_t>(std::min(dv, kMaxValueDim));
  const float decay = std::exp(g);
  float kq = 0.0f;
  for (std::size_t i = 0; i < DK; ++i) kq += k[i] * q[i];
  std::size_t j0 = 0;
  for (; j0 + 16 <= DV; j0 += 16) {
    V8 kv0{}, kv1{}, sq0{}, sq1{};
    for (std::size_t i = 0; i < DK; ++i) {
      const float* s = state + i * DV + j0;
      const V8 a = ld(s), b = ld(s + 8);
      kv0 += a * k[i];
      kv1 += b * k[i];
      sq0 += a * q[i];
      sq1 += b * q[i];
    }
    const V8 d0 = beta * (ld(v + j0) - decay * kv0), d1 = beta * (ld(v + j0 + 8) - decay * kv1);
    st(o + j0, decay * sq0 + d0 * kq);
    st(o + j0 + 8, decay * sq1 + d1 * kq);
    for (std::size_t i = 0; i < DK; ++i) {
      float* s = state + i * DV + j0;
      st(s, decay * ld(s) + k[i] * d0);
      st(s + 8, decay * ld(s + 8) + k[i] * d1);
    }
  }
  if (j0 < DV) {
    gated_delta_step_tail_columns(DK, DV, j0, q, k, v, decay, beta, kq, state, o);
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
