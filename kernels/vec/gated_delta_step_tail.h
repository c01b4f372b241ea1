// The scalar form of one gated delta decode step for value columns [j0, dv) of one head,
// fewer than 16 of them: what the vector (x86) and NEON tiers do for the columns left after
// their 16-column tiles. Same formulas as the tiles:
//   kv = S^T k, sq = S^T q over the columns; delta = beta (v - decay kv);
//   o = decay sq + delta (k . q); S = decay S + k delta^T.
// state [dk, dv] row-major; kq = k . q; decay = exp(g).
#pragma once

#include <cstddef>

namespace linnet::kernels {

inline void gated_delta_step_tail_columns(std::size_t DK, std::size_t DV, std::size_t j0, const float* q,
                                          const float* k, const float* v, float decay, float beta, float kq,
                                          float* state, float* o) {
  float kv[16] = {}, sq[16] = {};
  const std::size_t n = DV - j0;  // < 16
  for (std::size_t i = 0; i < DK; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      kv[j] += state[i * DV + j0 + j] * k[i];
      sq[j] += state[i * DV + j0 + j] * q[i];
    }
  for (std::size_t j = 0; j < n; ++j) {
    kv[j] = beta * (v[j0 + j] - decay * kv[j]);
    o[j0 + j] = decay * sq[j] + kv[j] * kq;
  }
  for (std::size_t i = 0; i < DK; ++i)
    for (std::size_t j = 0; j < n; ++j) state[i * DV + j0 + j] = decay * state[i * DV + j0 + j] + k[i] * kv[j];
}

}  // namespace linnet::kernels
