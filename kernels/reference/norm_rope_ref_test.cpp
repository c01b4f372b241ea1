// Norms and rotary embedding against their formulas computed in double.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/reference/activations_ref.h"
#include "kernels/reference/rmsnorm_ref.h"
#include "kernels/reference/rope_ref.h"
#include "kernels/reference/test_util.h"

namespace linnet::kernels {
namespace {

TEST(RmsNorm, ZeroCentredAndGatedWithStride) {
  const int rows = 3, n = 10;
  const std::size_t stride = 16;  // rows inside wider rows: untouched tail must stay
  std::vector<float> x = testing::random_vector(rows * stride, 21, -3.0f, 3.0f);
  std::vector<float> z = testing::random_vector(rows * stride, 22, -3.0f, 3.0f);
  std::vector<float> w = testing::random_vector(static_cast<std::size_t>(n), 23);
  std::vector<float> y = x, yg = x;
  rmsnorm_ref(x.data(), w.data(), rows, n, stride, 1e-6f, y.data());
  rmsnorm_gated_ref(x.data(), z.data(), w.data(), rows, n, stride, 1e-6f, yg.data());
  for (std::size_t r = 0; r < static_cast<std::size_t>(rows); ++r) {
    double ms = 0.0;
    for (int i = 0; i < n; ++i) ms += static_cast<double>(x[r * stride + static_cast<std::size_t>(i)]) * x[r * stride + static_cast<std::size_t>(i)];
    const double inv = 1.0 / std::sqrt(ms / n + 1e-6);
    for (int i = 0; i < n; ++i) {
      const std::size_t k = r * stride + static_cast<std::size_t>(i);
      EXPECT_NEAR(y[k], x[k] * inv * (1.0 + w[static_cast<std::size_t>(i)]), 1e-5);
      const double zz = z[k];
      EXPECT_NEAR(yg[k], x[k] * inv * w[static_cast<std::size_t>(i)] * (zz / (1.0 + std::exp(-zz))), 1e-5);
    }
    for (std::size_t i = static_cast<std::size_t>(n); i < stride; ++i) EXPECT_EQ(y[r * stride + i], x[r * stride + i]);
  }
}

TEST(L2Norm, UnitLengthTimesScale) {
  std::vector<float> x = testing::random_vector(8, 31);
  l2norm_scale_ref(x.data(), 2, 4, 4, 1e-6f, 0.5f);
  for (int r = 0; r < 2; ++r) {
    double s = 0.0;
    for (int i = 0; i < 4; ++i) s += x[static_cast<std::size_t>(r * 4 + i)] * x[static_cast<std::size_t>(r * 4 + i)];
    EXPECT_NEAR(std::sqrt(s), 0.5, 1e-5);
  }
}

TEST(Rope, PartialRotationWithHalfPairs) {
  const int head_dim = 12, rot = 8, heads = 2, half = rot / 2;
  const double theta = 1e7;
  const std::int64_t pos = 37;
  std::vector<float> x = testing::random_vector(static_cast<std::size_t>(heads * head_dim), 41);
  std::vector<float> y = x;
  std::vector<float> c(static_cast<std::size_t>(half)), s(static_cast<std::size_t>(half));
  rope_cos_sin_ref(pos, rot, theta, c.data(), s.data());
  rope_apply_ref(y.data(), heads, static_cast<std::size_t>(head_dim), rot, c.data(), s.data());
  for (int h = 0; h < heads; ++h) {
    const float* xh = x.data() + h * head_dim;
    const float* yh = y.data() + h * head_dim;
    for (int i = 0; i < half; ++i) {
      const double angle = static_cast<double>(pos) * std::pow(theta, -2.0 * i / rot);
      EXPECT_NEAR(yh[i], xh[i] * std::cos(angle) - xh[i + half] * std::sin(angle), 1e-4);
      EXPECT_NEAR(yh[i + half], xh[i + half] * std::cos(angle) + xh[i] * std::sin(angle), 1e-4);
    }
    for (int i = rot; i < head_dim; ++i) EXPECT_EQ(yh[i], xh[i]);
  }
  // Position 0 is the identity.
  rope_cos_sin_ref(0, rot, theta, c.data(), s.data());
  for (int i = 0; i < half; ++i) {
    EXPECT_EQ(c[static_cast<std::size_t>(i)], 1.0f);
    EXPECT_EQ(s[static_cast<std::size_t>(i)], 0.0f);
  }
}

TEST(Activations, SoftplusIsLinearAbove20) {
  EXPECT_EQ(softplus(25.0f), 25.0f);
  EXPECT_NEAR(softplus(0.0f), std::log(2.0f), 1e-7);
  EXPECT_NEAR(silu(1.0f), 1.0 / (1.0 + std::exp(-1.0)), 1e-7);
  EXPECT_NEAR(sigmoid(-2.0f), 1.0 / (1.0 + std::exp(2.0)), 1e-7);
}

}  // namespace
}  // namespace linnet::kernels
