// Causal depthwise conv over time with SiLU: the short convolution of the Gated DeltaNet
// layers (../shared/docs/qwen35-reference.md, "Gated DeltaNet layer", step 2).
#pragma once

#include <cstddef>

namespace linnet::kernels {

// For T tokens and C channels, kernel width K:
//   y[t, c] = silu( sum_{j<K} w[c*K + j] * in(t - (K-1) + j, c) )
// where in(s, c) = x[s*C + c] for s >= 0, and for s in [-(K-1), -1] comes from the state:
//   in(s, c) = state[(K-1 + s)*C + c].
// Shapes (row-major, all caller-owned, used only during the call):
//   x     [T, C]      this call's pre-conv inputs
//   w     [C, K]      the checkpoint's conv1d.weight [C, 1, K]
//   state [K-1, C]    time-major, oldest first; zero at the start of a sequence. On return it
//                     holds the last K-1 pre-conv inputs (from x and, if T < K-1, the old state).
//   y     [T, C]      must not alias x or state.
void causal_conv1d_silu_ref(const float* x, int T, int C, const float* w, int K, float* state,
                            float* y);

// The same restricted to channels [c_begin, c_end) (rows still C wide): channels are
// independent, so threads can split them. Over [0, C) it is causal_conv1d_silu_ref.
void causal_conv1d_silu_range_ref(const float* x, int T, int C, const float* w, int K, float* state,
                                  float* y, int c_begin, int c_end);

}  // namespace linnet::kernels
