// The gated delta rule of the Gated DeltaNet layers
// (../shared/docs/qwen35-reference.md, "Gated DeltaNet layer", steps 4-7), float32.
//
// Per value head, with the state S [dk, dv] (S[i][j], i over the key dim, j over the value
// dim, row-major, so S^T k sums rows of S scaled by k[i]):
//   S   = S * exp(g_t)
//   kv  = S^T k_t
//   S   = S + k_t (beta_t * (v_t - kv))^T
//   o_t = S^T q_t
// q and k arrive already L2-normalised (q also scaled by 1/sqrt(dk)): see l2norm_scale_ref.
// Value head h reads key/query head h / (Hv / Hk) (consecutive value heads share a key head).
//
// Two paths, equal up to float32 rounding:
// - decode: one token, two sweeps over each head's state (a read-only sweep for S^T k and
//   S^T q, then one update sweep; o = exp(g) S^T q + delta (k . q) needs no third sweep).
// - prefill: chunks of kGatedDeltaChunk tokens. Within a chunk of L tokens starting from
//   state S0, with G_t = sum_{s<=t} g_s (cumulative log-decay inside the chunk) and
//   Gamma[t][s] = exp(G_t - G_s) for s <= t:
//     A     = (I + strict_lower(diag(beta) K K^T o Gamma))^-1   (UT transform: inverse of a
//                                                                unit-lower-triangular matrix)
//     U     = A diag(beta) V                 [L, dv]
//     W     = A diag(beta exp(G)) K          [L, dk]
//     Vnew  = U - W S0                       [L, dv]
//     O     = diag(exp(G)) Q S0 + (lower(Q K^T) o Gamma) Vnew
//     S_end = exp(G_{L-1}) S0 + (diag(exp(G_{L-1} - G)) K)^T Vnew
//   All products are small matrix products (L x dk x dv); every exponent is <= 0.
#pragma once

#include <cstddef>

namespace linnet::kernels {

inline constexpr int kGatedDeltaChunk = 64;

struct GatedDeltaShape {
  int num_key_heads = 0;    // Hk
  int num_value_heads = 0;  // Hv (a multiple of Hk)
  int key_dim = 0;          // dk
  int value_dim = 0;        // dv
  // Channels of one token's conv output row: q [Hk*dk] | k [Hk*dk] | v [Hv*dv].
  int qkv_channels() const { return 2 * num_key_heads * key_dim + num_value_heads * value_dim; }
};

// Gates from the projections, for T tokens and Hv heads (all [T, Hv], row-major):
//   g[t,h]    = -exp(a_log[h]) * softplus(a[t,h] + dt_bias[h])   (log of the decay, <= 0)
//   beta[t,h] = sigmoid(b[t,h])
// g may alias a and beta may alias b. a_log, dt_bias: [Hv]. All caller-owned, call-scoped.
void gated_delta_gates_ref(const float* a, const float* b, const float* a_log, const float* dt_bias,
                           int T, int Hv, float* g, float* beta);

// ---- Whole layer (all heads) ------------------------------------------------------------
// qkv  [T, C] rows of the conv output (C = shape.qkv_channels()), q/k normalised as above.
// g, beta [T, Hv]. state [Hv, dk, dv], read and updated. o [T, Hv*dv] (head h at h*dv).
// Everything is caller-owned and used only during the call; o must not alias the inputs.

// One token (T = 1).
void gated_delta_decode_ref(const GatedDeltaShape& shape, const float* qkv, const float* g,
                            const float* beta, float* state, float* o);

// T >= 1 tokens, chunked. scratch: gated_delta_prefill_scratch_floats(shape) floats, used for
// one head at a time (a threaded version gives each worker its own).
void gated_delta_prefill_ref(const GatedDeltaShape& shape, int T, const float* qkv, const float* g,
                             const float* beta, float* state, float* o, float* scratch);
std::size_t gated_delta_prefill_scratch_floats(const GatedDeltaShape& shape);

// ---- One value head ---------------------------------------------------------------------
// q, k [dk], v [dv], state [dk, dv], o [dv]; g is the log-decay, beta the write strength.
void gated_delta_step_head_ref(int dk, int dv, const float* q, const float* k, const float* v,
                               float g, float beta, float* state, float* o);

// T tokens of one head. Token t reads q + t*qkv_stride, k + t*qkv_stride, v + t*qkv_stride,
// g[t*gate_stride], beta[t*gate_stride], and writes o + t*o_stride [dv].
// scratch: gated_delta_chunk_scratch_floats(dk, dv) floats.
void gated_delta_chunked_head_ref(int dk, int dv, int T, const float* q, const float* k,
                                  const float* v, std::size_t qkv_stride, const float* g,
                                  const float* beta, std::size_t gate_stride, float* state,
                                  float* o, std::size_t o_stride, float* scratch);
std::size_t gated_delta_chunk_scratch_floats(int dk, int dv);

}  // namespace linnet::kernels
