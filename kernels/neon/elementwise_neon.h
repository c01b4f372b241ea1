// Element-wise kernels with NEON intrinsics (aarch64): SwiGLU, the attention output gate,
// partial rope and the causal conv1d + SiLU. Contracts of kernels/reference/activations_ref.h,
// rope_ref.h and conv1d_ref.h.
#pragma once

#include <cstddef>

namespace linnet::kernels {

void swiglu_neon(const float* gate, const float* up, std::size_t n, float* out);
void mul_sigmoid_neon(float* x, const float* gate, std::size_t n);
void rope_apply_neon(float* x, int heads, std::size_t stride, int rotary_dim, const float* cos, const float* sin);
// Vectorized over channels four at a time for a width-4 kernel (the real models' conv);
// other widths run the portable version. The range form computes channels [c_begin, c_end)
// only (independent of the others: threads split them).
void causal_conv1d_silu_neon(const float* x, int T, int C, const float* w, int K, float* state, float* y);
void causal_conv1d_silu_range_neon(const float* x, int T, int C, const float* w, int K, float* state, float* y,
                                   int c_begin, int c_end);

}  // namespace linnet::kernels
