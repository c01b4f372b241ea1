#include "kernels/reference/rope_ref.h"

#include <cmath>

namespace linnet::kernels {

void rope_cos_sin_ref(std::int64_t position, int rotary_dim, double theta, float* cos_out,
                      float* sin_out) {
  const int half = rotary_dim / 2;
  const float base = static_cast<float>(theta);
  const float p = static_cast<float>(position);
  for (int i = 0; i < half; ++i) {
    // inv_freq = 1 / theta^(2i / rotary_dim), in float32 as the reference computes it.
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(rotary_dim);
    const float inv_freq = 1.0f / std::pow(base, exponent);
    const float angle = p * inv_freq;
    cos_out[i] = std::cos(angle);
    sin_out[i] = std::sin(angle);
  }
}

void rope_apply_ref(float* x, int heads, std::size_t stride, int rotary_dim, const float* cos,
                    const float* sin) {
  const int half = rotary_dim / 2;
  for (int h = 0; h < heads; ++h) {
    float* xh = x + static_cast<std::size_t>(h) * stride;
    for (int i = 0; i < half; ++i) {
      const float a = xh[i];
      const float b = xh[i + half];
      xh[i] = a * cos[i] - b * sin[i];
      xh[i + half] = b * cos[i] + a * sin[i];
    }
  }
}

}  // namespace linnet::kernels
