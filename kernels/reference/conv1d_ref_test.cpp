// The causal conv over a sequence fed in pieces (including pieces shorter than K-1) must
// equal one pass over the whole sequence with zeros before it.
#include "kernels/reference/conv1d_ref.h"

#include <gtest/gtest.h>

#include <vector>

#include "kernels/reference/activations_ref.h"
#include "kernels/reference/test_util.h"

namespace linnet::kernels {
namespace {

TEST(CausalConv1d, PiecesMatchWholeSequence) {
  const int C = 13, K = 4, T = 23;
  std::vector<float> x = testing::random_vector(static_cast<std::size_t>(T * C), 1);
  std::vector<float> w = testing::random_vector(static_cast<std::size_t>(C * K), 2);

  // Oracle: the formula with zeros before the start.
  std::vector<float> expected(static_cast<std::size_t>(T * C));
  for (int t = 0; t < T; ++t)
    for (int c = 0; c < C; ++c) {
      float sum = 0.0f;
      for (int j = 0; j < K; ++j) {
        const int s = t - (K - 1) + j;
        if (s >= 0) sum += w[static_cast<std::size_t>(c * K + j)] * x[static_cast<std::size_t>(s * C + c)];
      }
      expected[static_cast<std::size_t>(t * C + c)] = silu(sum);
    }

  std::vector<float> state(static_cast<std::size_t>((K - 1) * C), 0.0f);
  std::vector<float> y(static_cast<std::size_t>(T * C));
  const int pieces[] = {1, 1, 5, 2, 1, 10, 3};  // sums to 23
  int t0 = 0;
  for (int n : pieces) {
    causal_conv1d_silu_ref(x.data() + t0 * C, n, C, w.data(), K, state.data(), y.data() + t0 * C);
    t0 += n;
  }
  ASSERT_EQ(t0, T);
  EXPECT_LT(testing::max_abs_diff(y, expected), 1e-6f);
  // The state is the last K-1 pre-conv inputs, oldest first.
  for (int r = 0; r < K - 1; ++r)
    for (int c = 0; c < C; ++c)
      EXPECT_EQ(state[static_cast<std::size_t>(r * C + c)],
                x[static_cast<std::size_t>((T - (K - 1) + r) * C + c)]);
}

}  // namespace
}  // namespace linnet::kernels
