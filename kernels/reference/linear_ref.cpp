#include "kernels/reference/linear_ref.h"

#include <algorithm>
#include <cstddef>

#include "kernels/qlinear/tiled_pack.h"
#include "kernels/reference/half_ref.h"

namespace linnet::kernels {
namespace {

// Columns dequantized at a time (a multiple of the Q4 block size 32).
constexpr int kColumnBlock = 64;

std::size_t sz(std::int64_t v) { return static_cast<std::size_t>(v); }

// W[n, k0 .. k0+len) as float32 into out [len].
void dequantize_range(const TensorView& w, std::int64_t n, std::int64_t k0, int len, float* out) {
  const std::int64_t K = w.cols();
  const std::size_t base = sz(n) * sz(K) + sz(k0);
  switch (w.dtype) {
    case DType::kF32: {
      const float* src = static_cast<const float*>(w.data) + base;
      for (int i = 0; i < len; ++i) out[i] = src[i];
      break;
    }
    case DType::kF16: {
      const auto* src = static_cast<const std::uint16_t*>(w.data) + base;
      for (int i = 0; i < len; ++i) out[i] = f16_to_f32(src[i]);
      break;
    }
    case DType::kBF16: {
      const auto* src = static_cast<const std::uint16_t*>(w.data) + base;
      for (int i = 0; i < len; ++i) out[i] = bf16_to_f32(src[i]);
      break;
    }
    case DType::kQ8: {
      const auto* src = static_cast<const std::int8_t*>(w.data) + base;
      const float scale = static_cast<const float*>(w.scales)[n];
      for (int i = 0; i < len; ++i) out[i] = static_cast<float>(src[i]) * scale;
      break;
    }
    case DType::kQ4: {
      const auto* row = static_cast<const std::uint8_t*>(w.data) + sz(n) * sz(K / 2);
      const std::int64_t blocks = K / static_cast<std::int64_t>(w.block_size);
      const auto* scales = static_cast<const std::uint16_t*>(w.scales) + sz(n) * sz(blocks);
      for (int i = 0; i < len; ++i) {
        const std::int64_t k = k0 + i;
        const std::uint8_t byte = row[k / 2];
        const int nibble = (k % 2 == 0) ? (byte & 0x0f) : (byte >> 4);
        out[i] = static_cast<float>(nibble - 8) * bf16_to_f32(scales[k / w.block_size]);
      }
      break;
    }
    case DType::kQ8T:
    case DType::kQ4T:
    case DType::kQ6T:
      for (int i = 0; i < len; ++i)
        out[i] = static_cast<float>(tiled_code(w, n, k0 + i)) * tiled_scale(w, n, k0 + i);
      break;
  }
}

// Eight independent partial sums, added at the end: the same maths as one running sum up
// to float32 rounding, and a loop the compiler can vectorize without reassociating.
float dot(const float* a, const float* b, int n) {
  constexpr int kLanes = 8;
  float lanes[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lanes[j] += a[i + j] * b[i + j];
  float sum = 0.0f;
  for (int j = 0; j < kLanes; ++j) sum += lanes[j];
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

}  // namespace

void linear_ref(const TensorView& w, const float* x, int T, float* y) {
  const std::int64_t N = w.rows();
  const std::int64_t K = w.cols();
  float block[kColumnBlock];
  for (std::int64_t n = 0; n < N; ++n) {
    for (int t = 0; t < T; ++t) y[sz(t) * sz(N) + sz(n)] = 0.0f;
    // Each weight block is dequantized once and applied to every row of x.
    for (std::int64_t k0 = 0; k0 < K; k0 += kColumnBlock) {
      const int len = static_cast<int>(std::min<std::int64_t>(kColumnBlock, K - k0));
      dequantize_range(w, n, k0, len, block);
      for (int t = 0; t < T; ++t)
        y[sz(t) * sz(N) + sz(n)] += dot(block, x + sz(t) * sz(K) + sz(k0), len);
    }
  }
}

void linear_rows_ref(const TensorView& w, const float* x, std::span<const std::int32_t> rows,
                     float* y) {
  const std::int64_t K = w.cols();
  float block[kColumnBlock];
  for (std::size_t i = 0; i < rows.size(); ++i) {
    float sum = 0.0f;
    for (std::int64_t k0 = 0; k0 < K; k0 += kColumnBlock) {
      const int len = static_cast<int>(std::min<std::int64_t>(kColumnBlock, K - k0));
      dequantize_range(w, rows[i], k0, len, block);
      sum += dot(block, x + sz(k0), len);
    }
    y[i] = sum;
  }
}

void dequantize_row_ref(const TensorView& w, std::int64_t n, float* out) {
  const std::int64_t K = w.cols();
  for (std::int64_t k0 = 0; k0 < K; k0 += kColumnBlock) {
    const int len = static_cast<int>(std::min<std::int64_t>(kColumnBlock, K - k0));
    dequantize_range(w, n, k0, len, out + k0);
  }
}

}  // namespace linnet::kernels
