// Blocked causal prefill equals per-token decode and a direct double-precision oracle,
// with grouped KV heads and a prefill that starts after existing cache rows.
#include "kernels/reference/attention_ref.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
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

TEST(Int8Rows, QuantizeWithinHalfAStepAndUsesTheFullRange) {
  const int n = 37;
  std::vector<float> x = testing::normal_vector(static_cast<std::size_t>(n), 11, 3.0f);
  x[5] = -9.5f;  // the largest magnitude, negative
  std::vector<std::int8_t> q(static_cast<std::size_t>(n));
  float scale = 0.0f;
  quantize_row_int8(x.data(), n, q.data(), &scale);
  EXPECT_FLOAT_EQ(scale, 9.5f / 127.0f);
  EXPECT_EQ(q[5], -127);
  std::vector<float> back(static_cast<std::size_t>(n));
  dequantize_row_int8(q.data(), scale, n, back.data());
  for (std::size_t i = 0; i < back.size(); ++i) EXPECT_LE(std::fabs(back[i] - x[i]), 0.5f * scale * 1.0001f) << i;
}

TEST(Int8Rows, ZeroAndNonFiniteRowsBecomeZero) {
  std::vector<std::int8_t> q(4, 1);
  float scale = 1.0f;
  const float zeros[4] = {0.0f, -0.0f, 0.0f, 0.0f};
  quantize_row_int8(zeros, 4, q.data(), &scale);
  EXPECT_EQ(scale, 0.0f);
  for (std::int8_t v : q) EXPECT_EQ(v, 0);
  const float bad[4] = {1.0f, std::numeric_limits<float>::quiet_NaN(), 2.0f, 3.0f};
  quantize_row_int8(bad, 4, q.data(), &scale);
  EXPECT_EQ(scale, 0.0f);
  for (std::int8_t v : q) EXPECT_EQ(v, 0);
  const float inf[2] = {1.0f, -std::numeric_limits<float>::infinity()};
  quantize_row_int8(inf, 2, q.data(), &scale);
  EXPECT_EQ(scale, 0.0f);
}

// The int8 cache kernels equal the float kernels on the dequantized cache, with grouped
// heads, odd sizes and a prefill after existing rows.
TEST(Attention, Int8CacheEqualsFloatKernelsOnDequantizedCache) {
  const AttentionShape shape{6, 2, 13};
  const int capacity = 45, first = 9, T = 21;
  const int hd = shape.head_dim, H = shape.num_heads;
  const std::size_t rows = static_cast<std::size_t>(shape.num_kv_heads * capacity), row = static_cast<std::size_t>(hd);
  const std::size_t q_head_stride = 2 * row, q_token_stride = static_cast<std::size_t>(H) * q_head_stride;
  std::vector<float> q = testing::normal_vector(static_cast<std::size_t>(T) * q_token_stride, 21);
  std::vector<float> k = testing::normal_vector(rows * row, 22, 2.0f), v = testing::normal_vector(rows * row, 23);
  std::vector<std::int8_t> k8(k.size()), v8(v.size());
  std::vector<float> ks(rows), vs(rows), kd(k.size()), vd(v.size());
  for (std::size_t r = 0; r < rows; ++r) {
    quantize_row_int8(k.data() + r * row, hd, k8.data() + r * row, &ks[r]);
    quantize_row_int8(v.data() + r * row, hd, v8.data() + r * row, &vs[r]);
    dequantize_row_int8(k8.data() + r * row, ks[r], hd, kd.data() + r * row);
    dequantize_row_int8(v8.data() + r * row, vs[r], hd, vd.data() + r * row);
  }
  const Int8Rows kc{k8.data(), ks.data()}, vc{v8.data(), vs.data()};
  const std::size_t out_row = static_cast<std::size_t>(H * hd);
  std::vector<float> want(static_cast<std::size_t>(T) * out_row), got(want.size());
  std::vector<float> scratch(attention_prefill_scratch_floats(capacity));
  attention_prefill_ref(shape, T, first, q.data(), q_token_stride, q_head_stride, kd.data(), vd.data(), capacity,
                        want.data(), scratch.data());
  attention_prefill_ref(shape, T, first, q.data(), q_token_stride, q_head_stride, kc, vc, capacity, got.data(),
                        scratch.data());
  EXPECT_LT(testing::max_abs_diff(got, want), 1e-6f);

  std::vector<float> dwant(out_row), dgot(out_row);
  const float* ql = q.data() + static_cast<std::size_t>(T - 1) * q_token_stride;
  attention_decode_ref(shape, ql, q_head_stride, kd.data(), vd.data(), capacity, first + T, dwant.data(),
                       scratch.data());
  attention_decode_ref(shape, ql, q_head_stride, kc, vc, capacity, first + T, dgot.data(), scratch.data());
  EXPECT_LT(testing::max_abs_diff(dgot, dwant), 1e-6f);
  // The decode of the last token is the prefill's last row.
  EXPECT_LT(testing::max_abs_diff(dgot, std::vector<float>(got.end() - static_cast<std::ptrdiff_t>(out_row), got.end())),
            1e-6f);
  // And int8 is close to the unquantized cache (the quantization error, not a bug bound:
  // a wrong scale or row offset gives errors of order 1).
  std::vector<float> exact(out_row);
  attention_decode_ref(shape, ql, q_head_stride, k.data(), v.data(), capacity, first + T, exact.data(),
                       scratch.data());
  EXPECT_LT(testing::max_abs_diff(dgot, exact), 0.05f);
}

}  // namespace
}  // namespace linnet::kernels
