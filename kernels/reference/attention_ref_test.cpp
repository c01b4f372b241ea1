// Blocked causal prefill equals per-token decode and a direct double-precision oracle,
// with grouped KV heads and a prefill that starts after existing cache rows.
#include "kernels/reference/attention_ref.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/reference/test_util.h"

namespace linnet::kernels {
namespace {

TEST(Attention, PrefillMatchesDecodeAndOracle) {
  const AttentionShape shape{4, 2, 9};
  const int capacity = 50, first = 7, T = 37;  // 37 rows: blocks of 16, 16, 5
  const int hd = shape.head_dim, H = shape.num_heads;
  const std::size_t q_head_stride = static_cast<std::size_t>(2 * hd);  // [query | gate] per head
  const std::size_t q_token_stride = static_cast<std::size_t>(H) * q_head_stride;
  std::vector<float> q = testing::random_vector(static_cast<std::size_t>(T) * q_token_stride, 3, -2.0f, 2.0f);
  std::vector<float> kc = testing::random_vector(static_cast<std::size_t>(shape.num_kv_heads * capacity * hd), 4);
  std::vector<float> vc = testing::random_vector(kc.size(), 5);

  const std::size_t out_row = static_cast<std::size_t>(H * hd);
  std::vector<float> out_prefill(static_cast<std::size_t>(T) * out_row);
  std::vector<float> scratch(attention_prefill_scratch_floats(capacity));
  attention_prefill_ref(shape, T, first, q.data(), q_token_stride, q_head_stride, kc.data(), vc.data(),
                        capacity, out_prefill.data(), scratch.data());

  std::vector<float> out_decode(out_prefill.size());
  for (int t = 0; t < T; ++t)
    attention_decode_ref(shape, q.data() + static_cast<std::size_t>(t) * q_token_stride, q_head_stride,
                         kc.data(), vc.data(), capacity, first + t + 1,
                         out_decode.data() + static_cast<std::size_t>(t) * out_row, scratch.data());
  EXPECT_LT(testing::max_abs_diff(out_prefill, out_decode), 1e-6f);

  // Oracle in double; query head h reads KV head h / 2.
  std::vector<float> expected(out_prefill.size());
  for (int t = 0; t < T; ++t)
    for (int h = 0; h < H; ++h) {
      const int kvh = h / 2, n = first + t + 1;
      const float* qh = q.data() + static_cast<std::size_t>(t) * q_token_stride + static_cast<std::size_t>(h) * q_head_stride;
      std::vector<double> p(static_cast<std::size_t>(n));
      double mx = -1e300, sum = 0.0;
      for (int j = 0; j < n; ++j) {
        double d = 0.0;
        for (int i = 0; i < hd; ++i) d += qh[i] * kc[static_cast<std::size_t>((kvh * capacity + j) * hd + i)];
        p[static_cast<std::size_t>(j)] = d / std::sqrt(static_cast<double>(hd));
        mx = std::fmax(mx, p[static_cast<std::size_t>(j)]);
      }
      for (double& v : p) sum += (v = std::exp(v - mx));
      for (int i = 0; i < hd; ++i) {
        double o = 0.0;
        for (int j = 0; j < n; ++j) o += p[static_cast<std::size_t>(j)] / sum * vc[static_cast<std::size_t>((kvh * capacity + j) * hd + i)];
        expected[static_cast<std::size_t>(t) * out_row + static_cast<std::size_t>(h * hd + i)] = static_cast<float>(o);
      }
    }
  EXPECT_LT(testing::max_abs_diff(out_prefill, expected), 1e-5f);
}

}  // namespace
}  // namespace linnet::kernels
