// Element-wise and per-row kernels, portable vector version (vec_target.h): a vectorized exp
// (the Cephes polynomial also used by kernels/neon/math_neon.h) makes SiLU and sigmoid cheap.
// Contracts of kernels/reference/activations_ref.h, rmsnorm_ref.h and conv1d_ref.h.
#pragma once

#include <cstddef>

namespace linnet::kernels {

void swiglu_vec(const float* gate, const float* up, std::size_t n, float* out);
void mul_sigmoid_vec(float* x, const float* gate, std::size_t n);
void rmsnorm_vec(const float* x, const float* w, int rows, int n, std::size_t stride, float eps, float* y);
void rmsnorm_gated_vec(const float* x, const float* z, const float* w, int rows, int n, std::size_t stride, float eps,
                       float* y);
void l2norm_scale_vec(float* x, int rows, int n, std::size_t stride, float eps, float scale);

// The causal conv1d + SiLU of causal_conv1d_silu_ref restricted to channels [c_begin, c_end)
// (rows still C wide): channel ranges are independent, so threads can split them. Width-4
// kernels take the vector path; other widths loop per tap.
void causal_conv1d_silu_range_vec(const float* x, int T, int C, const float* w, int K, float* state, float* y,
                                  int c_begin, int c_end);
void causal_conv1d_silu_vec(const float* x, int T, int C, const float* w, int K, float* state, float* y);

}  // namespace linnet::kernels
