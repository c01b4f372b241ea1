#include "kernels/reference/rmsnorm_ref.h"

#include <cmath>

#include "kernels/reference/activations_ref.h"

namespace linnet::kernels {
namespace {

// rsqrt(mean(x^2) + eps) over n floats, summed in float32 like the reference.
float inverse_rms(const float* x, int n, float eps) {
  float sum = 0.0f;
  for (int i = 0; i < n; ++i) sum += x[i] * x[i];
  return 1.0f / std::sqrt(sum / static_cast<float>(n) + eps);
}

}  // namespace

void rmsnorm_ref(const float* x, const float* w, int rows, int n, std::size_t stride, float eps,
                 float* y) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<std::size_t>(r) * stride;
    float* yr = y + static_cast<std::size_t>(r) * stride;
    const float inv = inverse_rms(xr, n, eps);
    for (int i = 0; i < n; ++i) yr[i] = (xr[i] * inv) * (1.0f + w[i]);
  }
}

void rmsnorm_gated_ref(const float* x, const float* z, const float* w, int rows, int n,
                       std::size_t stride, float eps, float* y) {
  for (int r = 0; r < rows; ++r) {
    const std::size_t base = static_cast<std::size_t>(r) * stride;
    const float* xr = x + base;
    const float* zr = z + base;
    float* yr = y + base;
    const float inv = inverse_rms(xr, n, eps);
    for (int i = 0; i < n; ++i) yr[i] = w[i] * (xr[i] * inv) * silu(zr[i]);
  }
}

void l2norm_scale_ref(float* x, int rows, int n, std::size_t stride, float eps, float scale) {
  for (int r = 0; r < rows; ++r) {
    float* xr = x + static_cast<std::size_t>(r) * stride;
    float sum = 0.0f;
    for (int i = 0; i < n; ++i) sum += xr[i] * xr[i];
    const float inv = 1.0f / std::sqrt(sum + eps);
    for (int i = 0; i < n; ++i) xr[i] = (xr[i] * inv) * scale;
  }
}

}  // namespace linnet::kernels
