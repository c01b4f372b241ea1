// Element-wise activations in float32, written as the reference implementation
// (PyTorch) defines them. Header-only: they are used inside other kernels' inner loops.
#pragma once

#include <cmath>
#include <cstddef>

namespace linnet::kernels {

// silu(x) = x * sigmoid(x) = x / (1 + exp(-x)).
inline float silu(float x) { return x / (1.0f + std::exp(-x)); }

// sigmoid(x) = 1 / (1 + exp(-x)).
inline float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// softplus(x) = log(1 + exp(x)), linear above 20 (PyTorch's threshold).
inline float softplus(float x) { return x > 20.0f ? x : std::log1p(std::exp(x)); }

// SwiGLU of the MLP: out[i] = silu(gate[i]) * up[i], i < n. `out` may alias `gate` or `up`.
// All pointers are caller-owned and only read/written during the call.
void swiglu_ref(const float* gate, const float* up, std::size_t n, float* out);

// Output gate of the gated attention: x[i] *= sigmoid(gate[i]), i < n (in place).
void mul_sigmoid_ref(float* x, const float* gate, std::size_t n);

}  // namespace linnet::kernels
