#include "kernels/neon/elementwise_neon.h"

#include <arm_neon.h>

#include "kernels/neon/math_neon.h"
#include "kernels/reference/activations_ref.h"
#include "kernels/vec/elementwise_vec.h"

namespace linnet::kernels {

void swiglu_neon(const float* gate, const float* up, std::size_t n, float* out) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(out + i, vmulq_f32(neon::silu_f32x4(vld1q_f32(gate + i)), vld1q_f32(up + i)));
  for (; i < n; ++i) out[i] = silu(gate[i]) * up[i];
}

void mul_sigmoid_neon(float* x, const float* gate, std::size_t n) {
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(x + i, vmulq_f32(vld1q_f32(x + i), neon::sigmoid_f32x4(vld1q_f32(gate + i))));
  for (; i < n; ++i) x[i] *= sigmoid(gate[i]);
}

void rope_apply_neon(float* x, int heads, std::size_t stride, int rotary_dim, const float* cos, const float* sin) {
  const std::size_t half = static_cast<std::size_t>(rotary_dim / 2), half4 = half & ~std::size_t{3};
  for (int h = 0; h < heads; ++h) {
    float* lo = x + static_cast<std::size_t>(h) * stride;
    float* hi = lo + half;
    std::size_t i = 0;
    for (; i < half4; i += 4) {
      const float32x4_t a = vld1q_f32(lo + i), b = vld1q_f32(hi + i);
      const float32x4_t c = vld1q_f32(cos + i), s = vld1q_f32(sin + i);
      vst1q_f32(lo + i, vfmsq_f32(vmulq_f32(a, c), b, s));  // a c - b s
      vst1q_f32(hi + i, vfmaq_f32(vmulq_f32(b, c), a, s));  // b c + a s
    }
    for (; i < half; ++i) {
      const float a = lo[i], b = hi[i];
      lo[i] = a * cos[i] - b * sin[i];
      hi[i] = b * cos[i] + a * sin[i];
    }
  }
}

void causal_conv1d_silu_range_neon(const float* x, int T, int C, const float* w, int K, float* state, float* y,
                                   int c_begin, int c_end) {
  if (K != 4) {
    causal_conv1d_silu_range_vec(x, T, C, w, K, state, y, c_begin, c_end);
    return;
  }
  const std::size_t ch = static_cast<std::size_t>(C);
  // Input row at time s (s in [-3, T)): the state for s < 0, else x.
  const auto in_row = [&](int s) {
    return s >= 0 ? x + static_cast<std::size_t>(s) * ch : state + static_cast<std::size_t>(3 + s) * ch;
  };
  const std::size_t c0 = static_cast<std::size_t>(c_begin), c1 = static_cast<std::size_t>(c_end);
  for (int t = 0; t < T; ++t) {
    const float* r0 = in_row(t - 3);
    const float* r1 = in_row(t - 2);
    const float* r2 = in_row(t - 1);
    const float* r3 = in_row(t);
    float* yt = y + static_cast<std::size_t>(t) * ch;
    std::size_t c = c0;
    for (; c + 4 <= c1; c += 4) {
      // w [C, 4]: four channels' taps, de-interleaved so taps[j] = w[c..c+3][j].
      const float32x4x4_t taps = vld4q_f32(w + c * 4);
      float32x4_t acc = vmulq_f32(taps.val[0], vld1q_f32(r0 + c));
      acc = vfmaq_f32(acc, taps.val[1], vld1q_f32(r1 + c));
      acc = vfmaq_f32(acc, taps.val[2], vld1q_f32(r2 + c));
      acc = vfmaq_f32(acc, taps.val[3], vld1q_f32(r3 + c));
      vst1q_f32(yt + c, neon::silu_f32x4(acc));
    }
    for (; c < c1; ++c) {
      const float* wc = w + c * 4;
      yt[c] = silu(wc[0] * r0[c] + wc[1] * r1[c] + wc[2] * r2[c] + wc[3] * r3[c]);
    }
  }
  // New state: the last 3 inputs of these channels, oldest first (in place going up).
  for (int r = 0; r < 3; ++r) {
    float* dst = state + static_cast<std::size_t>(r) * ch;
    const float* src = in_row(T - 3 + r);
    if (src != dst)
      for (std::size_t c = c0; c < c1; ++c) dst[c] = src[c];
  }
}

void causal_conv1d_silu_neon(const float* x, int T, int C, const float* w, int K, float* state, float* y) {
  causal_conv1d_silu_range_neon(x, T, C, w, K, state, y, 0, C);
}

}  // namespace linnet::kernels
