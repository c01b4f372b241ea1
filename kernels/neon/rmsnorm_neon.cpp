#include "kernels/neon/rmsnorm_neon.h"

#include <arm_neon.h>

#include <cmath>

#include "kernels/neon/math_neon.h"
#include "kernels/reference/activations_ref.h"

namespace linnet::kernels {
namespace {

float sum_squares(const float* x, std::size_t n) {
  float32x4_t a0 = vdupq_n_f32(0.0f), a1 = vdupq_n_f32(0.0f);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const float32x4_t v0 = vld1q_f32(x + i), v1 = vld1q_f32(x + i + 4);
    a0 = vfmaq_f32(a0, v0, v0);
    a1 = vfmaq_f32(a1, v1, v1);
  }
  float s = vaddvq_f32(vaddq_f32(a0, a1));
  for (; i < n; ++i) s += x[i] * x[i];
  return s;
}

}  // namespace

void rmsnorm_neon(const float* x, const float* w, int rows, int n, std::size_t stride, float eps, float* y) {
  const std::size_t N = static_cast<std::size_t>(n), N4 = N & ~std::size_t{3};
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<std::size_t>(r) * stride;
    float* yr = y + static_cast<std::size_t>(r) * stride;
    const float inv = 1.0f / std::sqrt(sum_squares(xr, N) / static_cast<float>(n) + eps);
    std::size_t i = 0;
    for (; i < N4; i += 4) {
      const float32x4_t one_w = vaddq_f32(vdupq_n_f32(1.0f), vld1q_f32(w + i));
      vst1q_f32(yr + i, vmulq_f32(vmulq_n_f32(vld1q_f32(xr + i), inv), one_w));
    }
    for (; i < N; ++i) yr[i] = (xr[i] * inv) * (1.0f + w[i]);
  }
}

void rmsnorm_gated_neon(const float* x, const float* z, const float* w, int rows, int n, std::size_t stride, float eps,
                        float* y) {
  const std::size_t N = static_cast<std::size_t>(n), N4 = N & ~std::size_t{3};
  for (int r = 0; r < rows; ++r) {
    const std::size_t base = static_cast<std::size_t>(r) * stride;
    const float* xr = x + base;
    const float* zr = z + base;
    float* yr = y + base;
    const float inv = 1.0f / std::sqrt(sum_squares(xr, N) / static_cast<float>(n) + eps);
    std::size_t i = 0;
    for (; i < N4; i += 4) {
      const float32x4_t xn = vmulq_n_f32(vld1q_f32(xr + i), inv);
      vst1q_f32(yr + i, vmulq_f32(vmulq_f32(vld1q_f32(w + i), xn), neon::silu_f32x4(vld1q_f32(zr + i))));
    }
    for (; i < N; ++i) yr[i] = w[i] * (xr[i] * inv) * silu(zr[i]);
  }
}

void l2norm_scale_neon(float* x, int rows, int n, std::size_t stride, float eps, float scale) {
  const std::size_t N = static_cast<std::size_t>(n), N4 = N & ~std::size_t{3};
  for (int r = 0; r < rows; ++r) {
    float* xr = x + static_cast<std::size_t>(r) * stride;
    const float inv = 1.0f / std::sqrt(sum_squares(xr, N) + eps);
    std::size_t i = 0;
    for (; i < N4; i += 4) vst1q_f32(xr + i, vmulq_n_f32(vmulq_n_f32(vld1q_f32(xr + i), inv), scale));
    for (; i < N; ++i) xr[i] = (xr[i] * inv) * scale;
  }
}

}  // namespace linnet::kernels
