// Helpers shared by the kernel tests (reference, vector, NEON, dispatch): deterministic
// random data and tolerance checks.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/reference/int8_rows.h"

namespace linnet::kernels::testing {

inline std::vector<float> random_vector(std::size_t n, std::uint32_t seed, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Normally distributed values, mean 0 and standard deviation `scale` (exercises the
// activations' exp range better than a uniform [-1, 1]).
inline std::vector<float> normal_vector(std::size_t n, std::uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = d(rng);
  return v;
}

// Every element within rel * (1 + |want|): relative for large values, absolute near 0.
inline void expect_close(const std::vector<float>& got, const std::vector<float>& want, float rel,
                         const char* what) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], rel * (1.0f + std::fabs(want[i]))) << what << " at " << i;
}

inline float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float m = 0.0f;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::fmax(m, std::fabs(a[i] - b[i]));
  return m;
}

// An int8 cache made from float rows of `row_length` values (quantize_row_int8 per row).
struct Int8Cache {
  std::vector<std::int8_t> values;
  std::vector<float> scales;
  Int8Rows rows() const { return Int8Rows{values.data(), scales.data()}; }
};

inline Int8Cache quantize_rows(const std::vector<float>& x, int row_length) {
  const std::size_t n = static_cast<std::size_t>(row_length), rows = x.size() / n;
  Int8Cache c{std::vector<std::int8_t>(rows * n), std::vector<float>(rows)};
  for (std::size_t r = 0; r < rows; ++r) quantize_row_int8(x.data() + r * n, row_length, c.values.data() + r * n, &c.scales[r]);
  return c;
}

// x[0, n) replaced by its int8 round trip (quantize_row_int8 then dequantize_row_int8): what
// a kernel that quantizes its input like a cache row (the SDOT decode's query) computes with.
inline void round_through_int8(float* x, int n) {
  std::vector<std::int8_t> q(static_cast<std::size_t>(n));
  float scale = 0.0f;
  quantize_row_int8(x, n, q.data(), &scale);
  dequantize_row_int8(q.data(), scale, n, x);
}

}  // namespace linnet::kernels::testing
