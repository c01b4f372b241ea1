// The chunked gated delta rule for one value head, written once over a GEMM provider so the
// portable (kernels/vec) and NEON (kernels/neon) versions share the algorithm and differ only
// in their matrix products. Formulas: kernels/reference/gated_delta_ref.h (the oracle);
// this version computes every product as a small GEMM over the chunk:
//
//   G = cumsum(g), eG = exp(G)                                     [L]
//   M = K K^T; M[t][s] = beta_t exp(G_t - G_s) M[t][s] (s < t), 0 elsewhere
//   T = (I + M)^-1 - I, row by row: T[t] = -(M[t] + sum_{m<t} M[t][m] T[m])   (UT transform)
//   Vb = diag(beta) V, Kb = diag(beta eG) K
//   U = Vb + T Vb,  W = Kb + T Kb,  U -= W S0                         (U is Vnew)
//   P = Q K^T; P[t][s] *= exp(G_t - G_s) (s <= t), 0 above
//   O = diag(eG) Q S0 + P U
//   S = exp(G_last) S0 + (diag(exp(G_last - G)) K)^T U
//
// Internal to kernels/vec and kernels/neon.
#pragma once

#include <cmath>
#include <cstddef>

#include "kernels/reference/gated_delta_ref.h"

namespace linnet::kernels::detail {

// Scratch of one head: G, eG [C] | M [C, C] | Vb, U [C, dv] | Kb, W [C, dk], C = 64.
inline std::size_t gated_delta_chunk_gemm_scratch_floats(int dk, int dv) {
  const std::size_t c = kGatedDeltaChunk;
  return 2 * c + c * c + 2 * c * static_cast<std::size_t>(dv) + 2 * c * static_cast<std::size_t>(dk);
}

// Gemm provides (see kernels/vec/gemm_f32_vec.h for the contract):
//   static void nn(int M, int N, int K, float alpha, const float* a, size_t a_rs, size_t a_cs,
//                  const float* b, size_t ldb, float* c, size_t ldc, bool accumulate);
//   static void nt(int M, int N, int K, float alpha, const float* a, size_t lda,
//                  const float* b, size_t ldb, float* c, size_t ldc, bool accumulate);
template <typename Gemm>
void gated_delta_chunk_head_gemm(int dk, int dv, int L, const float* q, const float* k, const float* v,
                                 std::size_t qkv_stride, const float* g, const float* beta, std::size_t gate_stride,
                                 float* state, float* o, std::size_t o_stride, float* scratch) {
  constexpr std::size_t C = kGatedDeltaChunk;
  const std::size_t DK = static_cast<std::size_t>(dk), DV = static_cast<std::size_t>(dv);
  const std::size_t n = static_cast<std::size_t>(L);
  float* G = scratch;
  float* eG = G + C;
  float* M = eG + C;
  float* Vb = M + C * C;
  float* U = Vb + C * DV;
  float* Kb = U + C * DV;
  float* W = Kb + C * DK;
  const auto row = [](const float* base, std::size_t t, std::size_t stride) { return base + t * stride; };

  float running = 0.0f;
  for (std::size_t t = 0; t < n; ++t) {
    running += g[t * gate_stride];
    G[t] = running;
    eG[t] = std::exp(running);
  }

  // M = strictly lower, decayed, beta-weighted K K^T.
  Gemm::nt(L, L, dk, 1.0f, k, qkv_stride, k, qkv_stride, M, C, false);
  for (std::size_t t = 0; t < n; ++t) {
    const float bt = beta[t * gate_stride];
    float* mt = M + t * C;
    for (std::size_t s = 0; s < t; ++s) mt[s] *= bt * std::exp(G[t] - G[s]);
    for (std::size_t s = t; s < n; ++s) mt[s] = 0.0f;
  }
  // UT transform, in place row by row (rows m < t already hold T[m]; row t still holds M[t]).
  float tmp[C];
  for (std::size_t t = 1; t < n; ++t) {
    float* mt = M + t * C;
    for (std::size_t s = 0; s < t; ++s) tmp[s] = mt[s];
    for (std::size_t m = 1; m < t; ++m) {
      const float a = mt[m];
      const float* tm = M + m * C;
      for (std::size_t s = 0; s < m; ++s) tmp[s] += a * tm[s];
    }
    for (std::size_t s = 0; s < t; ++s) mt[s] = -tmp[s];
  }

  // U = (I + T) diag(beta) V and W = (I + T) diag(beta eG) K, then U -= W S0.
  for (std::size_t t = 0; t < n; ++t) {
    const float bt = beta[t * gate_stride];
    const float bg = bt * eG[t];
    const float* vt = row(v, t, qkv_stride);
    const float* kt = row(k, t, qkv_stride);
    float* vb = Vb + t * DV;
    float* u = U + t * DV;
    for (std::size_t j = 0; j < DV; ++j) u[j] = vb[j] = bt * vt[j];
    float* kb = Kb + t * DK;
    float* w = W + t * DK;
    for (std::size_t i = 0; i < DK; ++i) w[i] = kb[i] = bg * kt[i];
  }
  Gemm::nn(L, dv, L, 1.0f, M, C, 1, Vb, DV, U, DV, true);
  Gemm::nn(L, dk, L, 1.0f, M, C, 1, Kb, DK, W, DK, true);
  Gemm::nn(L, dv, dk, -1.0f, W, DK, 1, state, DV, U, DV, true);

  // P = decayed lower(Q K^T), in M.
  Gemm::nt(L, L, dk, 1.0f, q, qkv_stride, k, qkv_stride, M, C, false);
  for (std::size_t t = 0; t < n; ++t) {
    float* pt = M + t * C;
    for (std::size_t s = 0; s <= t; ++s) pt[s] *= std::exp(G[t] - G[s]);
    for (std::size_t s = t + 1; s < n; ++s) pt[s] = 0.0f;
  }
  // O = diag(eG) Q S0 + P U (diag(eG) Q in Kb).
  for (std::size_t t = 0; t < n; ++t) {
    const float* qt = row(q, t, qkv_stride);
    float* qd = Kb + t * DK;
    for (std::size_t i = 0; i < DK; ++i) qd[i] = eG[t] * qt[i];
  }
  Gemm::nn(L, dv, dk, 1.0f, Kb, DK, 1, state, DV, o, o_stride, false);
  Gemm::nn(L, dv, L, 1.0f, M, C, 1, U, DV, o, o_stride, true);

  // S = exp(G_last) S0 + Kd^T U with Kd = diag(exp(G_last - G)) K (in Kb).
  const float g_last = G[n - 1];
  const float total = eG[n - 1];
  for (std::size_t t = 0; t < n; ++t) {
    const float w_t = std::exp(g_last - G[t]);
    const float* kt = row(k, t, qkv_stride);
    float* kd = Kb + t * DK;
    for (std::size_t i = 0; i < DK; ++i) kd[i] = w_t * kt[i];
  }
  for (std::size_t i = 0; i < DK * DV; ++i) state[i] *= total;
  Gemm::nn(dk, dv, L, 1.0f, Kb, 1, DK, U, DV, state, DV, true);
}

}  // namespace linnet::kernels::detail
