// RMS norms of the Qwen3.5 forward pass (../shared/docs/qwen35-reference.md, "Norms"),
// float32 throughout. Every function works on `rows` vectors of length n; row r starts
// at r * stride (stride >= n, in floats) in both input and output, so heads that sit
// inside a wider row (e.g. the query half of [query | gate]) are normed in place.
// All pointers are caller-owned and only used during the call; outputs may alias inputs.
#pragma once

#include <cstddef>

namespace linnet::kernels {

// Zero-centred RMSNorm: y = x * rsqrt(mean(x^2) + eps) * (1 + w). w: [n].
// Used for input/post-attention norms, q_norm, k_norm and the final norm.
void rmsnorm_ref(const float* x, const float* w, int rows, int n, std::size_t stride, float eps,
                 float* y);

// The DeltaNet output norm: y = x * rsqrt(mean(x^2) + eps) * w * silu(z), no +1.
// z has the same layout as x (row r at z + r * stride). w: [n].
void rmsnorm_gated_ref(const float* x, const float* z, const float* w, int rows, int n,
                       std::size_t stride, float eps, float* y);

// In-place L2 normalisation with a scale: x = x * rsqrt(sum(x^2) + eps) * scale.
// The DeltaNet's q (scale 1/sqrt(dk)) and k (scale 1), eps 1e-6.
void l2norm_scale_ref(float* x, int rows, int n, std::size_t stride, float eps, float scale);

}  // namespace linnet::kernels
