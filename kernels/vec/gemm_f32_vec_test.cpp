#include "kernels/vec/gemm_f32_vec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace linnet::kernels {
namespace {

std::vector<float> rnd(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = d(rng);
  return v;
}

struct Dims {
  int m, n, k;
};
constexpr Dims kDims[] = {{1, 1, 1}, {3, 5, 7}, {4, 16, 8}, {5, 17, 9}, {64, 128, 128}, {63, 129, 33}, {2, 300, 256}};

TEST(GemmVec, NnMatchesNaiveWithStridesAlphaAndAccumulate) {
  for (const Dims& d : kDims) {
    for (bool transposed_a : {false, true}) {
      const auto a = rnd(static_cast<std::size_t>(d.m * d.k), 1);
      const auto b = rnd(static_cast<std::size_t>(d.k * (d.n + 3)), 2);  // ldb = n + 3
      auto c = rnd(static_cast<std::size_t>(d.m * (d.n + 1)), 3);      // ldc = n + 1
      auto ref = c;
      const std::size_t a_rs = transposed_a ? 1 : static_cast<std::size_t>(d.k);
      const std::size_t a_cs = transposed_a ? static_cast<std::size_t>(d.m) : 1;
      const std::size_t ldb = static_cast<std::size_t>(d.n + 3), ldc = static_cast<std::size_t>(d.n + 1);
      for (int acc = 0; acc < 2; ++acc) {
        for (int m = 0; m < d.m; ++m)
          for (int n = 0; n < d.n; ++n) {
            double s = 0;
            for (int k = 0; k < d.k; ++k)
              s += double(a[static_cast<std::size_t>(m) * a_rs + static_cast<std::size_t>(k) * a_cs]) *
                   b[static_cast<std::size_t>(k) * ldb + static_cast<std::size_t>(n)];
            float& r = ref[static_cast<std::size_t>(m) * ldc + static_cast<std::size_t>(n)];
            r = (acc ? r : 0.0f) + static_cast<float>(-0.5 * s);
          }
        gemm_nn_f32_vec(d.m, d.n, d.k, -0.5f, a.data(), a_rs, a_cs, b.data(), ldb, c.data(), ldc, acc == 1);
        for (int m = 0; m < d.m; ++m)
          for (int n = 0; n < d.n; ++n) {
            const std::size_t i = static_cast<std::size_t>(m) * ldc + static_cast<std::size_t>(n);
            ASSERT_NEAR(c[i], ref[i], 1e-4f * std::sqrt(float(d.k)) + 1e-5f) << d.m << "x" << d.n << "x" << d.k;
          }
      }
      // Padding columns of C are untouched.
      for (int m = 0; m < d.m; ++m) {
        const std::size_t i = static_cast<std::size_t>(m) * ldc + static_cast<std::size_t>(d.n);
        ASSERT_EQ(c[i], ref[i]);
      }
    }
  }
}

TEST(GemmVec, NtMatchesNaiveWithF32AndF16B) {
  for (const Dims& d : kDims) {
    const auto a = rnd(static_cast<std::size_t>(d.m * d.k), 4);
    const auto b = rnd(static_cast<std::size_t>(d.n * d.k), 5);
    std::vector<Half> b16(b.size());
    std::vector<float> b_rounded(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) {
      b16[i] = float_to_half(b[i]);
      b_rounded[i] = half_to_float(b16[i]);
    }
    for (int half = 0; half < 2; ++half) {
      const auto& bf = half ? b_rounded : b;
      std::vector<float> c(static_cast<std::size_t>(d.m * d.n), 7.0f), ref(c.size());
      for (int m = 0; m < d.m; ++m)
        for (int n = 0; n < d.n; ++n) {
          double s = 0;
          for (int k = 0; k < d.k; ++k)
            s += double(a[static_cast<std::size_t>(m * d.k + k)]) * bf[static_cast<std::size_t>(n * d.k + k)];
          ref[static_cast<std::size_t>(m * d.n + n)] = 7.0f + static_cast<float>(2.0 * s);
        }
      const auto K = static_cast<std::size_t>(d.k), N = static_cast<std::size_t>(d.n);
      if (half)
        gemm_nt_f32_f16b_vec(d.m, d.n, d.k, 2.0f, a.data(), K, b16.data(), K, c.data(), N, true);
      else
        gemm_nt_f32_vec(d.m, d.n, d.k, 2.0f, a.data(), K, b.data(), K, c.data(), N, true);
      for (std::size_t i = 0; i < c.size(); ++i) ASSERT_NEAR(c[i], ref[i], 1e-4f * std::sqrt(float(d.k)) + 1e-5f);
    }
  }
}

TEST(GemmVec, NnWithF16B) {
  const Dims d{7, 37, 19};
  const auto a = rnd(static_cast<std::size_t>(d.m * d.k), 6);
  const auto b = rnd(static_cast<std::size_t>(d.k * d.n), 7);
  std::vector<Half> b16(b.size());
  for (std::size_t i = 0; i < b.size(); ++i) b16[i] = float_to_half(b[i]);
  std::vector<float> c(static_cast<std::size_t>(d.m * d.n));
  gemm_nn_f32_f16b_vec(d.m, d.n, d.k, 1.0f, a.data(), static_cast<std::size_t>(d.k), 1, b16.data(),
                       static_cast<std::size_t>(d.n), c.data(), static_cast<std::size_t>(d.n), false);
  for (int m = 0; m < d.m; ++m)
    for (int n = 0; n < d.n; ++n) {
      double s = 0;
      for (int k = 0; k < d.k; ++k)
        s += double(a[static_cast<std::size_t>(m * d.k + k)]) * half_to_float(b16[static_cast<std::size_t>(k * d.n + n)]);
      ASSERT_NEAR(c[static_cast<std::size_t>(m * d.n + n)], s, 1e-4);
    }
}

// The vector f16 -> f32 conversion (integer bit manipulation) is exact for all 65536 halves
// (subnormals, infinities and NaNs included):
// a 1 x 16 x 1 product with a = 1 copies 16 converted halves out.
TEST(GemmVec, EveryHalfConvertsExactly) {
  const float one = 1.0f;
  for (std::uint32_t h0 = 0; h0 < 65536; h0 += 16) {
    Half b[16];
    for (std::uint32_t i = 0; i < 16; ++i) b[i] = static_cast<Half>(h0 + i);
    float out[16];
    gemm_nn_f32_f16b_vec(1, 16, 1, 1.0f, &one, 1, 1, b, 16, out, 16, false);
    for (std::uint32_t i = 0; i < 16; ++i) {
      const float want = half_to_float(b[i]);
      if (std::isnan(want)) {
        ASSERT_TRUE(std::isnan(out[i])) << std::hex << b[i];
      } else {
        // Exact (the product's accumulation turns -0 into +0, which == accepts).
        ASSERT_EQ(out[i], want) << std::hex << b[i];
      }
    }
  }
}

}  // namespace
}  // namespace linnet::kernels
