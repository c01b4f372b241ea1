// The portable element-wise kernels against the reference: activations through the vector
// exp (including its clamp region), norms, and the conv1d on channel ranges.
#include "kernels/vec/elementwise_vec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/reference/activations_ref.h"
#include "kernels/reference/conv1d_ref.h"
#include "kernels/reference/rmsnorm_ref.h"
#include "kernels/reference/test_util.h"

namespace linnet::kernels {
namespace {

using testing::expect_close;
using testing::normal_vector;

TEST(ElementwiseVec, ActivationsMatchReferenceAcrossTheExpRange) {
  for (std::size_t n : {1u, 7u, 8u, 33u, 4099u}) {
    auto g = normal_vector(n, 1, 6.0f), u = normal_vector(n, 2);
    g[0] = -120.0f;  // beyond the clamp: sigmoid 0, silu -0
    if (n > 2) {
      g[1] = 95.0f;
      g[2] = 0.0f;
    }
    std::vector<float> ref(n), got(n);
    swiglu_ref(g.data(), u.data(), n, ref.data());
    swiglu_vec(g.data(), u.data(), n, got.data());
    expect_close(got, ref, 2e-6f, "swiglu");
    auto a = u, b = u;
    mul_sigmoid_ref(a.data(), g.data(), n);
    mul_sigmoid_vec(b.data(), g.data(), n);
    expect_close(b, a, 2e-6f, "mul_sigmoid");
  }
}

TEST(ElementwiseVec, NormsMatchReference) {
  for (int n : {1, 9, 64, 131, 1024}) {
    const int rows = 4;
    const std::size_t stride = static_cast<std::size_t>(n + 5);
    const auto x = normal_vector(rows * stride, 3), z = normal_vector(rows * stride, 4, 3.0f), w = normal_vector(static_cast<std::size_t>(n), 5, 0.2f);
    std::vector<float> ref(x.size(), 0.0f), got(x.size(), 0.0f);
    rmsnorm_ref(x.data(), w.data(), rows, n, stride, 1e-6f, ref.data());
    rmsnorm_vec(x.data(), w.data(), rows, n, stride, 1e-6f, got.data());
    expect_close(got, ref, 2e-6f, "rmsnorm");
    rmsnorm_gated_ref(x.data(), z.data(), w.data(), rows, n, stride, 1e-6f, ref.data());
    rmsnorm_gated_vec(x.data(), z.data(), w.data(), rows, n, stride, 1e-6f, got.data());
    expect_close(got, ref, 2e-6f, "rmsnorm_gated");
    auto a = x, b = x;
    l2norm_scale_ref(a.data(), rows, n, stride, 1e-6f, 0.25f);
    l2norm_scale_vec(b.data(), rows, n, stride, 1e-6f, 0.25f);
    expect_close(b, a, 2e-6f, "l2norm");
  }
}

TEST(ElementwiseVec, ConvOnChannelRangesMatchesReference) {
  for (int K : {4, 3}) {
    for (int T : {1, 2, 5, 19}) {
      const int C = 43;
      const auto x = normal_vector(static_cast<std::size_t>(T * C), 6), w = normal_vector(static_cast<std::size_t>(C * K), 7, 0.5f);
      auto s_ref = normal_vector(static_cast<std::size_t>((K - 1) * C), 8), s_got = s_ref;
      std::vector<float> ref(x.size()), got(x.size());
      causal_conv1d_silu_ref(x.data(), T, C, w.data(), K, s_ref.data(), ref.data());
      // Three uneven ranges, as threads would split them.
      causal_conv1d_silu_range_vec(x.data(), T, C, w.data(), K, s_got.data(), got.data(), 0, 16);
      causal_conv1d_silu_range_vec(x.data(), T, C, w.data(), K, s_got.data(), got.data(), 16, 17);
      causal_conv1d_silu_range_vec(x.data(), T, C, w.data(), K, s_got.data(), got.data(), 17, C);
      expect_close(got, ref, 2e-6f, "conv");
      expect_close(s_got, s_ref, 0.0f, "conv state");
    }
  }
}

}  // namespace
}  // namespace linnet::kernels
