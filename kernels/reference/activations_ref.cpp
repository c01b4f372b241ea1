#include "kernels/reference/activations_ref.h"

namespace linnet::kernels {

void swiglu_ref(const float* gate, const float* up, std::size_t n, float* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = silu(gate[i]) * up[i];
}

void mul_sigmoid_ref(float* x, const float* gate, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) x[i] *= sigmoid(gate[i]);
}

}  // namespace linnet::kernels
