#include "kernels/vec/elementwise_vec.h"

#include <cmath>
#include <cstdint>

#include "kernels/reference/activations_ref.h"
#include "kernels/vec/vec_target.h"

namespace linnet::kernels {
namespace {

typedef float V8 __attribute__((vector_size(32), aligned(4), may_alias));
typedef std::int32_t I8 __attribute__((vector_size(32)));

inline __attribute__((always_inline)) V8 load8(const float* p) { return *reinterpret_cast<const V8*>(p); }
inline __attribute__((always_inline)) void store8(float* p, V8 v) { *reinterpret_cast<V8*>(p) = v; }
inline __attribute__((always_inline)) V8 splat(float v) { return V8{} + v; }

// exp on eight floats: clamp to [-87.3, 88.7], n = round(x / ln2), r = x - n ln2,
// exp(r) by the Cephes degree-5 polynomial, times 2^n through the exponent bits.
inline __attribute__((always_inline)) V8 exp8(V8 x) {
  x = x < splat(-87.3f) ? splat(-87.3f) : x;
  x = x > splat(88.7f) ? splat(88.7f) : x;
  const V8 t = x * 1.44269504088896341f;
  // round to nearest: add and subtract 1.5 * 2^23 (|t| < 2^22 here)
  const V8 n = (t + 12582912.0f) - 12582912.0f;
  V8 r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  V8 p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + (r + 1.0f);
  const I8 scale = __builtin_convertvector(n, I8) << 23;
  I8 bits;
  __builtin_memcpy(&bits, &p, sizeof bits);
  bits += scale;
  V8 out;
  __builtin_memcpy(&out, &bits, sizeof out);
  return out;
}

inline __attribute__((always_inline)) V8 sigmoid8(V8 x) { return 1.0f / (1.0f + exp8(-x)); }
inline __attribute__((always_inline)) V8 silu8(V8 x) { return x * sigmoid8(x); }

inline __attribute__((always_inline)) float sum_squares(const float* x, std::size_t n) {
  V8 a = V8{}, b = V8{};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const V8 u = load8(x + i), v = load8(x + i + 8);
    a += u * u;
    b += v * v;
  }
  a += b;
  float s = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
  for (; i < n; ++i) s += x[i] * x[i];
  return s;
}

}  // namespace

LINNET_VEC_CLONES
void swiglu_vec(const float* gate, const float* up, std::size_t n, float* out) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) store8(out + i, silu8(load8(gate + i)) * load8(up + i));
  for (; i < n; ++i) out[i] = silu(gate[i]) * up[i];
}

LINNET_VEC_CLONES
void mul_sigmoid_vec(float* x, const float* gate, std::size_t n) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) store8(x + i, load8(x + i) * sigmoid8(load8(gate + i)));
  for (; i < n; ++i) x[i] *= sigmoid(gate[i]);
}

LINNET_VEC_CLONES
void rmsnorm_vec(const float* x, const float* w, int rows, int n, std::size_t stride, float eps, float* y) {
  const std::size_t N = static_cast<std::size_t>(n);
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + static_cast<std::size_t>(r) * stride;
    float* yr = y + static_cast<std::size_t>(r) * stride;
    const float inv = 1.0f / std::sqrt(sum_squares(xr, N) / static_cast<float>(n) + eps);
    std::size_t i = 0;
    for (; i + 8 <= N; i += 8) store8(yr + i, (load8(xr + i) * inv) * (1.0f + load8(w + i)));
    for (; i < N; ++i) yr[i] = (xr[i] * inv) * (1.0f + w[i]);
  }
}

LINNET_VEC_CLONES
void rmsnorm_gated_vec(const float* x, const float* z, const float* w, int rows, int n, std::size_t stride, float eps,
                       float* y) {
  const std::size_t N = static_cast<std::size_t>(n);
  for (int r = 0; r < rows; ++r) {
    const std::size_t base = static_cast<std::size_t>(r) * stride;
    const float* xr = x + base;
    const float* zr = z + base;
    float* yr = y + base;
    const float inv = 1.0f / std::sqrt(sum_squares(xr, N) / static_cast<float>(n) + eps);
    std::size_t i = 0;
    for (; i + 8 <= N; i += 8) store8(yr + i, load8(w + i) * (load8(xr + i) * inv) * silu8(load8(zr + i)));
    for (; i < N; ++i) yr[i] = w[i] * (xr[i] * inv) * silu(zr[i]);
  }
}

LINNET_VEC_CLONES
void l2norm_scale_vec(float* x, int rows, int n, std::size_t stride, float eps, float scale) {
  const std::size_t N = static_cast<std::size_t>(n);
  for (int r = 0; r < rows; ++r) {
    float* xr = x + static_cast<std::size_t>(r) * stride;
    const float inv = 1.0f / std::sqrt(sum_squares(xr, N) + eps);
    std::size_t i = 0;
    for (; i + 8 <= N; i += 8) store8(xr + i, (load8(xr + i) * inv) * scale);
    for (; i < N; ++i) xr[i] = (xr[i] * inv) * scale;
  }
}

LINNET_VEC_CLONES
void causal_conv1d_silu_range_vec(const float* x, int T, int C, const float* w, int K, float* state, float* y,
                                  int c_begin, int c_end) {
  const std::size_t ch = static_cast<std::size_t>(C);
  const int history = K - 1;
  // Input row at time s in [-(K-1), T): the state for s < 0, else x.
  const auto in_row = [&](int s) {
    return s >= 0 ? x + static_cast<std::size_t>(s) * ch : state + static_cast<std::size_t>(history + s) * ch;
  };
  const std::size_t c0 = static_cast<std::size_t>(c_begin), c1 = static_cast<std::size_t>(c_end);
  const std::size_t taps = static_cast<std::size_t>(K);
  for (int t = 0; t < T; ++t) {
    float* yt = y + static_cast<std::size_t>(t) * ch;
    std::size_t c = c0;
    if (K == 4) {
      const float* r0 = in_row(t - 3);
      const float* r1 = in_row(t - 2);
      const float* r2 = in_row(t - 1);
      const float* r3 = in_row(t);
      for (; c + 8 <= c1; c += 8) {
        // w [C, 4]: gather the taps of eight channels (strided by 4).
        V8 w0, w1, w2, w3;
        for (int l = 0; l < 8; ++l) {
          const float* wc = w + (c + static_cast<std::size_t>(l)) * 4;
          w0[l] = wc[0];
          w1[l] = wc[1];
          w2[l] = wc[2];
          w3[l] = wc[3];
        }
        const V8 acc = w0 * load8(r0 + c) + w1 * load8(r1 + c) + w2 * load8(r2 + c) + w3 * load8(r3 + c);
        store8(yt + c, silu8(acc));
      }
    }
    for (; c < c1; ++c) {
      float sum = 0.0f;
      for (std::size_t j = 0; j < taps; ++j) sum += w[c * taps + j] * in_row(t - history + static_cast<int>(j))[c];
      yt[c] = silu(sum);
    }
  }
  // New state (the last K-1 inputs, oldest first) for these channels; in place going up.
  for (int r = 0; r < history; ++r) {
    const int s = T - history + r;
    float* dst = state + static_cast<std::size_t>(r) * ch;
    const float* src = in_row(s);
    if (src != dst)
      for (std::size_t c = c0; c < c1; ++c) dst[c] = src[c];
  }
}

void causal_conv1d_silu_vec(const float* x, int T, int C, const float* w, int K, float* state, float* y) {
  causal_conv1d_silu_range_vec(x, T, C, w, K, state, y, 0, C);
}

}  // namespace linnet::kernels
