#include "kernels/reference/gated_delta_ref.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "kernels/reference/activations_ref.h"

namespace linnet::kernels {
namespace {

// The decode step keeps two [dv] temporaries on the stack; value dims above this are
// rejected by the executor at creation (the real models use 128).
constexpr int kMaxValueDim = 512;

std::size_t idx(int a, int b, int cols) {
  return static_cast<std::size_t>(a) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(b);
}

// One chunk of L <= kGatedDeltaChunk tokens of one head (formulas in the header).
// scratch layout: G [L] | M [L, L] | U [L, dv] | W [L, dk].
void chunk_head(int dk, int dv, int L, const float* q, const float* k, const float* v,
                std::size_t qkv_stride, const float* g, const float* beta, std::size_t gate_stride,
                float* state, float* o, std::size_t o_stride, float* scratch) {
  constexpr int C = kGatedDeltaChunk;
  float* G = scratch;
  float* M = G + C;
  float* U = M + C * C;
  float* W = U + static_cast<std::size_t>(C) * static_cast<std::size_t>(dv);
  auto q_row = [&](int t) { return q + static_cast<std::size_t>(t) * qkv_stride; };
  auto k_row = [&](int t) { return k + static_cast<std::size_t>(t) * qkv_stride; };
  auto v_row = [&](int t) { return v + static_cast<std::size_t>(t) * qkv_stride; };
  auto beta_at = [&](int t) { return beta[static_cast<std::size_t>(t) * gate_stride]; };

  // G_t: cumulative log-decay inside the chunk.
  float running = 0.0f;
  for (int t = 0; t < L; ++t) {
    running += g[static_cast<std::size_t>(t) * gate_stride];
    G[t] = running;
  }

  // M (strict lower) = diag(beta) K K^T o Gamma, then in place its UT transform:
  // Tinv[t][s] = -M[t][s] - sum_{s<m<t} M[t][m] Tinv[m][s]; filling s ascending keeps the
  // M[t][m] (m > s) it reads untouched. (I + Tinv) = (I + M)^-1.
  for (int t = 0; t < L; ++t) {
    for (int s = 0; s < t; ++s) {
      float dot = 0.0f;
      for (int i = 0; i < dk; ++i) dot += k_row(t)[i] * k_row(s)[i];
      M[idx(t, s, C)] = beta_at(t) * dot * std::exp(G[t] - G[s]);
    }
  }
  for (int t = 1; t < L; ++t) {
    for (int s = 0; s < t; ++s) {
      float sum = M[idx(t, s, C)];
      for (int m = s + 1; m < t; ++m) sum += M[idx(t, m, C)] * M[idx(m, s, C)];
      M[idx(t, s, C)] = -sum;
    }
  }

  // U = (I + Tinv) diag(beta) V, W = (I + Tinv) diag(beta exp(G)) K.
  for (int t = 0; t < L; ++t) {
    float* u = U + idx(t, 0, dv);
    float* w = W + idx(t, 0, dk);
    const float bt = beta_at(t);
    const float bg = bt * std::exp(G[t]);
    for (int j = 0; j < dv; ++j) u[j] = bt * v_row(t)[j];
    for (int i = 0; i < dk; ++i) w[i] = bg * k_row(t)[i];
    for (int s = 0; s < t; ++s) {
      const float a = M[idx(t, s, C)];
      const float bs = beta_at(s);
      const float bgs = bs * std::exp(G[s]);
      for (int j = 0; j < dv; ++j) u[j] += a * bs * v_row(s)[j];
      for (int i = 0; i < dk; ++i) w[i] += a * bgs * k_row(s)[i];
    }
  }

  // Vnew = U - W S0 (in place in U).
  for (int t = 0; t < L; ++t) {
    float* u = U + idx(t, 0, dv);
    const float* w = W + idx(t, 0, dk);
    for (int i = 0; i < dk; ++i) {
      const float* s_row = state + idx(i, 0, dv);
      for (int j = 0; j < dv; ++j) u[j] -= w[i] * s_row[j];
    }
  }

  // M (reused) = lower(Q K^T) o Gamma, diagonal included.
  for (int t = 0; t < L; ++t) {
    for (int s = 0; s <= t; ++s) {
      float dot = 0.0f;
      for (int i = 0; i < dk; ++i) dot += q_row(t)[i] * k_row(s)[i];
      M[idx(t, s, C)] = dot * std::exp(G[t] - G[s]);
    }
  }

  // O = diag(exp(G)) Q S0 + M Vnew.
  for (int t = 0; t < L; ++t) {
    float* out = o + static_cast<std::size_t>(t) * o_stride;
    const float decay = std::exp(G[t]);
    for (int j = 0; j < dv; ++j) out[j] = 0.0f;
    for (int i = 0; i < dk; ++i) {
      const float qi = q_row(t)[i] * decay;
      const float* s_row = state + idx(i, 0, dv);
      for (int j = 0; j < dv; ++j) out[j] += qi * s_row[j];
    }
    for (int s = 0; s <= t; ++s) {
      const float a = M[idx(t, s, C)];
      const float* vn = U + idx(s, 0, dv);
      for (int j = 0; j < dv; ++j) out[j] += a * vn[j];
    }
  }

  // S_end = exp(G_last) S0 + (diag(exp(G_last - G)) K)^T Vnew.
  const float g_last = G[L - 1];
  const float total_decay = std::exp(g_last);
  for (int i = 0; i < dk; ++i) {
    float* s_row = state + idx(i, 0, dv);
    for (int j = 0; j < dv; ++j) s_row[j] *= total_decay;
  }
  for (int s = 0; s < L; ++s) {
    const float w_s = std::exp(g_last - G[s]);
    const float* vn = U + idx(s, 0, dv);
    for (int i = 0; i < dk; ++i) {
      const float ki = k_row(s)[i] * w_s;
      float* s_row = state + idx(i, 0, dv);
      for (int j = 0; j < dv; ++j) s_row[j] += ki * vn[j];
    }
  }
}

}  // namespace

void gated_delta_gates_ref(const float* a, const float* b, const float* a_log, const float* dt_bias,
                           int T, int Hv, float* g, float* beta) {
  for (int t = 0; t < T; ++t) {
    for (int h = 0; h < Hv; ++h) {
      const std::size_t i = idx(t, h, Hv);
      const float sp = softplus(a[i] + dt_bias[h]);
      g[i] = -std::exp(a_log[h]) * sp;
      beta[i] = sigmoid(b[i]);
    }
  }
}

void gated_delta_step_head_ref(int dk, int dv, const float* q, const float* k, const float* v,
                               float g, float beta, float* state, float* o) {
  assert(dv <= kMaxValueDim);
  float kv[kMaxValueDim];
  const float decay = std::exp(g);
  // Sweep 1 (read-only): kv = S^T k and o = S^T q.
  for (int j = 0; j < dv; ++j) {
    kv[j] = 0.0f;
    o[j] = 0.0f;
  }
  float kq = 0.0f;
  for (int i = 0; i < dk; ++i) {
    const float* s_row = state + idx(i, 0, dv);
    const float ki = k[i];
    const float qi = q[i];
    kq += ki * qi;
    for (int j = 0; j < dv; ++j) {
      kv[j] += s_row[j] * ki;
      o[j] += s_row[j] * qi;
    }
  }
  // delta = beta (v - decay S^T k); o = decay S^T q + delta (k . q); kv now holds delta.
  for (int j = 0; j < dv; ++j) {
    kv[j] = beta * (v[j] - decay * kv[j]);
    o[j] = decay * o[j] + kv[j] * kq;
  }
  // Sweep 2: S = decay S + k delta^T.
  for (int i = 0; i < dk; ++i) {
    float* s_row = state + idx(i, 0, dv);
    const float ki = k[i];
    for (int j = 0; j < dv; ++j) s_row[j] = decay * s_row[j] + ki * kv[j];
  }
}

std::size_t gated_delta_chunk_scratch_floats(int dk, int dv) {
  const std::size_t c = kGatedDeltaChunk;
  return c + c * c + c * static_cast<std::size_t>(dv) + c * static_cast<std::size_t>(dk);
}

void gated_delta_chunked_head_ref(int dk, int dv, int T, const float* q, const float* k,
                                  const float* v, std::size_t qkv_stride, const float* g,
                                  const float* beta, std::size_t gate_stride, float* state,
                                  float* o, std::size_t o_stride, float* scratch) {
  for (int c0 = 0; c0 < T; c0 += kGatedDeltaChunk) {
    const int L = std::min(kGatedDeltaChunk, T - c0);
    const std::size_t row = static_cast<std::size_t>(c0);
    chunk_head(dk, dv, L, q + row * qkv_stride, k + row * qkv_stride, v + row * qkv_stride,
               qkv_stride, g + row * gate_stride, beta + row * gate_stride, gate_stride, state,
               o + row * o_stride, o_stride, scratch);
  }
}

namespace {

struct HeadPointers {
  const float* q;
  const float* k;
  const float* v;
};

// Where value head h's q, k, v start inside a conv-output row.
HeadPointers head_pointers(const GatedDeltaShape& s, const float* qkv, int h) {
  const int group = s.num_value_heads / s.num_key_heads;
  const int kh = h / group;
  const std::size_t key_block = static_cast<std::size_t>(s.num_key_heads) * static_cast<std::size_t>(s.key_dim);
  return {qkv + static_cast<std::size_t>(kh) * static_cast<std::size_t>(s.key_dim),
          qkv + key_block + static_cast<std::size_t>(kh) * static_cast<std::size_t>(s.key_dim),
          qkv + 2 * key_block + static_cast<std::size_t>(h) * static_cast<std::size_t>(s.value_dim)};
}

}  // namespace

void gated_delta_decode_ref(const GatedDeltaShape& shape, const float* qkv, const float* g,
                            const float* beta, float* state, float* o) {
  const std::size_t head_state = static_cast<std::size_t>(shape.key_dim) * static_cast<std::size_t>(shape.value_dim);
  for (int h = 0; h < shape.num_value_heads; ++h) {
    const HeadPointers p = head_pointers(shape, qkv, h);
    gated_delta_step_head_ref(shape.key_dim, shape.value_dim, p.q, p.k, p.v, g[h], beta[h],
                              state + static_cast<std::size_t>(h) * head_state,
                              o + static_cast<std::size_t>(h) * static_cast<std::size_t>(shape.value_dim));
  }
}

std::size_t gated_delta_prefill_scratch_floats(const GatedDeltaShape& shape) {
  return gated_delta_chunk_scratch_floats(shape.key_dim, shape.value_dim);
}

void gated_delta_prefill_ref(const GatedDeltaShape& shape, int T, const float* qkv, const float* g,
                             const float* beta, float* state, float* o, float* scratch) {
  const std::size_t head_state = static_cast<std::size_t>(shape.key_dim) * static_cast<std::size_t>(shape.value_dim);
  const std::size_t qkv_stride = static_cast<std::size_t>(shape.qkv_channels());
  const std::size_t gate_stride = static_cast<std::size_t>(shape.num_value_heads);
  const std::size_t o_stride = gate_stride * static_cast<std::size_t>(shape.value_dim);
  for (int h = 0; h < shape.num_value_heads; ++h) {
    const HeadPointers p = head_pointers(shape, qkv, h);
    gated_delta_chunked_head_ref(shape.key_dim, shape.value_dim, T, p.q, p.k, p.v, qkv_stride,
                                 g + h, beta + h, gate_stride,
                                 state + static_cast<std::size_t>(h) * head_state,
                                 o + static_cast<std::size_t>(h) * static_cast<std::size_t>(shape.value_dim),
                                 o_stride, scratch);
  }
}

}  // namespace linnet::kernels
