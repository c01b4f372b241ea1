// The chunked (prefill) gated delta rule must agree with the token-by-token recurrence,
// on sizes that are not multiples of the chunk, from a non-zero initial state.
#include "kernels/reference/gated_delta_ref.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/reference/rmsnorm_ref.h"
#include "kernels/reference/test_util.h"

namespace linnet::kernels {
namespace {

using testing::max_abs_diff;
using testing::random_vector;

// The recurrence exactly as the reference document writes it, in double.
void naive_step(int dk, int dv, const float* q, const float* k, const float* v, float g, float beta,
                std::vector<double>& S, float* o) {
  const double decay = std::exp(static_cast<double>(g));
  for (double& s : S) s *= decay;
  std::vector<double> kv(static_cast<std::size_t>(dv), 0.0);
  for (int i = 0; i < dk; ++i)
    for (int j = 0; j < dv; ++j) kv[static_cast<std::size_t>(j)] += S[static_cast<std::size_t>(i * dv + j)] * k[i];
  for (int i = 0; i < dk; ++i)
    for (int j = 0; j < dv; ++j)
      S[static_cast<std::size_t>(i * dv + j)] += k[i] * beta * (v[j] - kv[static_cast<std::size_t>(j)]);
  for (int j = 0; j < dv; ++j) {
    double sum = 0.0;
    for (int i = 0; i < dk; ++i) sum += S[static_cast<std::size_t>(i * dv + j)] * q[i];
    o[j] = static_cast<float>(sum);
  }
}

struct HeadData {
  std::vector<float> qkv, g, beta, state;
};

// T tokens of one head with q|k|v in one row of stride dk+dk+dv; q, k l2-normalised.
HeadData make_head(int dk, int dv, int T, std::uint32_t seed) {
  HeadData d;
  const int stride = 2 * dk + dv;
  d.qkv = random_vector(static_cast<std::size_t>(T * stride), seed);
  for (int t = 0; t < T; ++t) {
    float* row = d.qkv.data() + t * stride;
    l2norm_scale_ref(row, 1, dk, 0, 1e-6f, 1.0f / std::sqrt(static_cast<float>(dk)));
    l2norm_scale_ref(row + dk, 1, dk, 0, 1e-6f, 1.0f);
  }
  d.g = random_vector(static_cast<std::size_t>(T), seed + 1, -2.0f, -0.001f);
  d.beta = random_vector(static_cast<std::size_t>(T), seed + 2, 0.05f, 0.95f);
  d.state = random_vector(static_cast<std::size_t>(dk * dv), seed + 3, -0.5f, 0.5f);
  return d;
}

class ChunkedVsRecurrent : public ::testing::TestWithParam<std::tuple<int, int, int>> {};

TEST_P(ChunkedVsRecurrent, AgreeOnOutputsAndFinalState) {
  const auto [dk, dv, T] = GetParam();
  const int stride = 2 * dk + dv;
  HeadData d = make_head(dk, dv, T, static_cast<std::uint32_t>(dk * 1000 + dv * 10 + T));

  // Oracle: the formula in double.
  std::vector<double> S(d.state.begin(), d.state.end());
  std::vector<float> o_naive(static_cast<std::size_t>(T * dv));
  for (int t = 0; t < T; ++t) {
    const float* row = d.qkv.data() + t * stride;
    naive_step(dk, dv, row, row + dk, row + 2 * dk, d.g[static_cast<std::size_t>(t)],
               d.beta[static_cast<std::size_t>(t)], S, o_naive.data() + t * dv);
  }

  // Decode path, token by token.
  std::vector<float> state_step = d.state;
  std::vector<float> o_step(static_cast<std::size_t>(T * dv));
  for (int t = 0; t < T; ++t) {
    const float* row = d.qkv.data() + t * stride;
    gated_delta_step_head_ref(dk, dv, row, row + dk, row + 2 * dk, d.g[static_cast<std::size_t>(t)],
                              d.beta[static_cast<std::size_t>(t)], state_step.data(),
                              o_step.data() + t * dv);
  }

  // Prefill path, chunked.
  std::vector<float> state_chunk = d.state;
  std::vector<float> o_chunk(static_cast<std::size_t>(T * dv));
  std::vector<float> scratch(gated_delta_chunk_scratch_floats(dk, dv));
  const float* base = d.qkv.data();
  gated_delta_chunked_head_ref(dk, dv, T, base, base + dk, base + 2 * dk, static_cast<std::size_t>(stride),
                               d.g.data(), d.beta.data(), 1, state_chunk.data(), o_chunk.data(),
                               static_cast<std::size_t>(dv), scratch.data());

  std::vector<float> S_naive(S.begin(), S.end());
  EXPECT_LT(max_abs_diff(o_step, o_naive), 2e-5f);
  EXPECT_LT(max_abs_diff(state_step, S_naive), 2e-5f);
  EXPECT_LT(max_abs_diff(o_chunk, o_naive), 2e-5f);
  EXPECT_LT(max_abs_diff(state_chunk, S_naive), 2e-5f);
}

INSTANTIATE_TEST_SUITE_P(OddSizes, ChunkedVsRecurrent,
                         ::testing::Values(std::make_tuple(7, 5, 1), std::make_tuple(7, 5, 3),
                                           std::make_tuple(7, 5, 63), std::make_tuple(7, 5, 64),
                                           std::make_tuple(7, 5, 65), std::make_tuple(16, 9, 129),
                                           std::make_tuple(32, 32, 200), std::make_tuple(5, 33, 71)));

// Whole layer with grouped heads (Hv = 2 Hk): prefill in uneven pieces equals decode.
TEST(GatedDeltaLayer, PrefillPiecesMatchDecodeWithGroupedHeads) {
  GatedDeltaShape shape{2, 4, 8, 6};
  const int C = shape.qkv_channels();
  const int Hv = shape.num_value_heads;
  const int T = 90;
  std::vector<float> qkv = random_vector(static_cast<std::size_t>(T * C), 11);
  const int key_block = shape.num_key_heads * shape.key_dim;
  for (int t = 0; t < T; ++t) {
    float* row = qkv.data() + t * C;
    l2norm_scale_ref(row, shape.num_key_heads, shape.key_dim, static_cast<std::size_t>(shape.key_dim), 1e-6f,
                     1.0f / std::sqrt(static_cast<float>(shape.key_dim)));
    l2norm_scale_ref(row + key_block, shape.num_key_heads, shape.key_dim,
                     static_cast<std::size_t>(shape.key_dim), 1e-6f, 1.0f);
  }
  // Gates from raw projections.
  std::vector<float> a = random_vector(static_cast<std::size_t>(T * Hv), 12, -3.0f, 3.0f);
  std::vector<float> b = random_vector(static_cast<std::size_t>(T * Hv), 13, -3.0f, 3.0f);
  std::vector<float> a_log = random_vector(static_cast<std::size_t>(Hv), 14, -1.0f, 1.0f);
  std::vector<float> dt_bias = random_vector(static_cast<std::size_t>(Hv), 15, -1.0f, 1.0f);
  std::vector<float> g(a.size()), beta(b.size());
  gated_delta_gates_ref(a.data(), b.data(), a_log.data(), dt_bias.data(), T, Hv, g.data(), beta.data());
  for (std::size_t i = 0; i < g.size(); ++i) {
    ASSERT_LE(g[i], 0.0f);
    ASSERT_GT(beta[i], 0.0f);
    ASSERT_LT(beta[i], 1.0f);
  }

  const std::size_t state_size = static_cast<std::size_t>(Hv * shape.key_dim * shape.value_dim);
  const std::size_t out_row = static_cast<std::size_t>(Hv * shape.value_dim);
  std::vector<float> state_decode(state_size, 0.0f), out_decode(static_cast<std::size_t>(T) * out_row);
  for (int t = 0; t < T; ++t)
    gated_delta_decode_ref(shape, qkv.data() + t * C, g.data() + t * Hv, beta.data() + t * Hv,
                           state_decode.data(), out_decode.data() + static_cast<std::size_t>(t) * out_row);

  std::vector<float> state_prefill(state_size, 0.0f), out_prefill(static_cast<std::size_t>(T) * out_row);
  std::vector<float> scratch(gated_delta_prefill_scratch_floats(shape));
  const int pieces[] = {1, 37, 2, 50};  // sums to 90
  int t0 = 0;
  for (int n : pieces) {
    gated_delta_prefill_ref(shape, n, qkv.data() + t0 * C, g.data() + t0 * Hv, beta.data() + t0 * Hv,
                            state_prefill.data(), out_prefill.data() + static_cast<std::size_t>(t0) * out_row,
                            scratch.data());
    t0 += n;
  }
  ASSERT_EQ(t0, T);
  EXPECT_LT(max_abs_diff(out_prefill, out_decode), 2e-5f);
  EXPECT_LT(max_abs_diff(state_prefill, state_decode), 2e-5f);
  // Grouped, not tiled: value head 3 reads key head 3 / (Hv/Hk) = 1. Recompute it alone.
  const int h = 3, kh = 1;
  std::vector<float> state_h(static_cast<std::size_t>(shape.key_dim * shape.value_dim), 0.0f);
  std::vector<float> o_h(static_cast<std::size_t>(shape.value_dim));
  for (int t = 0; t < T; ++t) {
    const float* row = qkv.data() + t * C;
    gated_delta_step_head_ref(shape.key_dim, shape.value_dim, row + kh * shape.key_dim,
                              row + key_block + kh * shape.key_dim,
                              row + 2 * key_block + h * shape.value_dim, g[static_cast<std::size_t>(t * Hv + h)],
                              beta[static_cast<std::size_t>(t * Hv + h)], state_h.data(), o_h.data());
    for (int j = 0; j < shape.value_dim; ++j)
      ASSERT_EQ(o_h[static_cast<std::size_t>(j)],
                out_decode[static_cast<std::size_t>(t) * out_row + static_cast<std::size_t>(h * shape.value_dim + j)]);
  }
}

}  // namespace
}  // namespace linnet::kernels
