// Linear layers and embedding lookup for every bundle dtype, against the layouts of
// runtime/bundle/bundle.fbs decoded independently here, in double.
#include "kernels/reference/linear_ref.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/reference/embedding_ref.h"
#include "kernels/reference/half_ref.h"
#include "kernels/reference/test_util.h"

namespace linnet::kernels {
namespace {

constexpr int kN = 5, kK = 96, kT = 3, kBlock = 32;

TensorView view(DType dtype, const void* data, std::size_t bytes) {
  TensorView v;
  v.name = "w";
  v.dtype = dtype;
  v.shape = {kN, kK, 1, 1};
  v.rank = 2;
  v.data = data;
  v.data_bytes = bytes;
  return v;
}

std::uint16_t to_bf16(float f) {  // truncation is enough to make a test value
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return static_cast<std::uint16_t>(b >> 16);
}

// Checks linear_ref, linear_rows_ref and embedding_lookup_ref against W (dense, double).
void check(const TensorView& w, const std::vector<double>& dense) {
  const std::vector<float> x = testing::random_vector(kT * kK, 51);
  std::vector<float> y(kT * kN);
  linear_ref(w, x.data(), kT, y.data());
  for (int t = 0; t < kT; ++t)
    for (int n = 0; n < kN; ++n) {
      double e = 0.0;
      for (int k = 0; k < kK; ++k) e += dense[static_cast<std::size_t>(n * kK + k)] * x[static_cast<std::size_t>(t * kK + k)];
      EXPECT_NEAR(y[static_cast<std::size_t>(t * kN + n)], e, 1e-4) << "t " << t << " n " << n;
    }
  const std::int32_t rows[] = {4, 0, 2};
  std::vector<float> yr(3);
  linear_rows_ref(w, x.data() + kK, rows, yr.data());  // the second input row
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(yr[static_cast<std::size_t>(i)], y[static_cast<std::size_t>(kN + rows[i])], 1e-5);
  std::vector<float> emb(2 * kK);
  const std::int32_t ids[] = {3, 1};
  embedding_lookup_ref(w, ids, emb.data());
  for (int j = 0; j < 2; ++j)
    for (int k = 0; k < kK; ++k)
      EXPECT_NEAR(emb[static_cast<std::size_t>(j * kK + k)], dense[static_cast<std::size_t>(ids[j] * kK + k)], 1e-6);
}

TEST(LinearRef, F32) {
  std::vector<float> w = testing::random_vector(kN * kK, 61);
  check(view(DType::kF32, w.data(), w.size() * 4), std::vector<double>(w.begin(), w.end()));
}

TEST(LinearRef, F16AndBF16) {
  // Half values that are exact: multiples of 1/64 in [-2, 2].
  std::vector<std::uint16_t> h(kN * kK), b(kN * kK);
  std::vector<double> dense(kN * kK);
  for (int i = 0; i < kN * kK; ++i) {
    const int m = (i * 37) % 257 - 128;  // -128..128
    const double v = m / 64.0;
    dense[static_cast<std::size_t>(i)] = v;
    b[static_cast<std::size_t>(i)] = to_bf16(static_cast<float>(v));
    // f16: sign | exponent | mantissa built from v.
    if (m == 0) {
      h[static_cast<std::size_t>(i)] = 0;
    } else {
      int e = 0;
      double a = std::fabs(v);
      while (a >= 2.0) { a /= 2; ++e; }
      while (a < 1.0) { a *= 2; --e; }
      const auto mant = static_cast<std::uint16_t>(std::lround((a - 1.0) * 1024));
      h[static_cast<std::size_t>(i)] = static_cast<std::uint16_t>((v < 0 ? 0x8000 : 0) | ((e + 15) << 10) | mant);
    }
  }
  check(view(DType::kF16, h.data(), h.size() * 2), dense);
  check(view(DType::kBF16, b.data(), b.size() * 2), dense);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_TRUE(std::isinf(f16_to_f32(0x7c00)));
}

TEST(LinearRef, Q8) {
  std::vector<std::int8_t> q(kN * kK);
  std::vector<float> scales(kN);
  std::vector<double> dense(kN * kK);
  for (int n = 0; n < kN; ++n) {
    scales[static_cast<std::size_t>(n)] = 0.01f * static_cast<float>(n + 1);
    for (int k = 0; k < kK; ++k) {
      const int v = (n * 31 + k * 7) % 255 - 127;
      q[static_cast<std::size_t>(n * kK + k)] = static_cast<std::int8_t>(v);
      dense[static_cast<std::size_t>(n * kK + k)] = v * static_cast<double>(scales[static_cast<std::size_t>(n)]);
    }
  }
  TensorView w = view(DType::kQ8, q.data(), q.size());
  w.scales = scales.data();
  w.scales_bytes = scales.size() * 4;
  check(w, dense);
}

TEST(LinearRef, Q4) {
  std::vector<std::uint8_t> q(kN * kK / 2, 0);
  std::vector<std::uint16_t> scales(kN * kK / kBlock);
  std::vector<double> dense(kN * kK);
  for (int n = 0; n < kN; ++n) {
    for (int blk = 0; blk < kK / kBlock; ++blk)
      scales[static_cast<std::size_t>(n * (kK / kBlock) + blk)] = to_bf16(0.125f * static_cast<float>(n + blk + 1));
    for (int k = 0; k < kK; ++k) {
      const int nibble = (n * 5 + k * 3) % 16;
      auto& byte = q[static_cast<std::size_t>(n * kK / 2 + k / 2)];
      byte = static_cast<std::uint8_t>(k % 2 == 0 ? (byte | nibble) : (byte | (nibble << 4)));
      dense[static_cast<std::size_t>(n * kK + k)] = (nibble - 8) * 0.125 * (n + k / kBlock + 1);
    }
  }
  TensorView w = view(DType::kQ4, q.data(), q.size());
  w.scales = scales.data();
  w.scales_bytes = scales.size() * 2;
  w.block_size = kBlock;
  check(w, dense);
}

}  // namespace
}  // namespace linnet::kernels
