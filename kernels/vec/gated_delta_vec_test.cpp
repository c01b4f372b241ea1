// The portable gated delta rule against the reference (kernels/reference/gated_delta_ref.h):
// decode steps and chunked prefill, odd sizes, chunk boundaries, carried state.
#include "kernels/vec/gated_delta_vec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/reference/gated_delta_ref.h"

namespace linnet::kernels {
namespace {

struct Inputs {
  int T, dk, dv;
  std::size_t stride;
  std::vector<float> qkv, g, beta, state;
};

// One head's rows [T, stride] = q [dk] | k [dk] | v [dv] | padding, q and k L2-normalised as
// the executor gives them; g < 0 (log decay), beta in (0, 1).
Inputs make_inputs(int T, int dk, int dv, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n01;
  std::uniform_real_distribution<float> u01(0.0f, 1.0f);
  Inputs in{T, dk, dv, static_cast<std::size_t>(2 * dk + dv + 3), {}, {}, {}, {}};
  in.qkv.resize(static_cast<std::size_t>(T) * in.stride);
  for (float& f : in.qkv) f = n01(rng);
  for (int t = 0; t < T; ++t) {
    for (int part = 0; part < 2; ++part) {
      float* x = in.qkv.data() + static_cast<std::size_t>(t) * in.stride + static_cast<std::size_t>(part * dk);
      float s = 0;
      for (int i = 0; i < dk; ++i) s += x[i] * x[i];
      const float scale = (part == 0 ? 1.0f / std::sqrt(float(dk)) : 1.0f) / std::sqrt(s + 1e-6f);
      for (int i = 0; i < dk; ++i) x[i] *= scale;
    }
  }
  in.g.resize(static_cast<std::size_t>(T));
  in.beta.resize(static_cast<std::size_t>(T));
  for (int t = 0; t < T; ++t) {
    in.g[static_cast<std::size_t>(t)] = -0.5f * u01(rng) - 0.01f;
    in.beta[static_cast<std::size_t>(t)] = 0.05f + 0.9f * u01(rng);
  }
  in.state.resize(static_cast<std::size_t>(dk * dv));
  for (float& f : in.state) f = 0.3f * n01(rng);
  return in;
}

float max_abs(const std::vector<float>& v) {
  float m = 0;
  for (float f : v) m = std::max(m, std::fabs(f));
  return m;
}

struct Size {
  int T, dk, dv;
};

class GatedDeltaVec : public ::testing::TestWithParam<Size> {};

TEST_P(GatedDeltaVec, ChunkedMatchesReference) {
  const Size sz = GetParam();
  Inputs in = make_inputs(sz.T, sz.dk, sz.dv, static_cast<std::uint32_t>(sz.T * 131 + sz.dk));
  const float* q = in.qkv.data();
  const float* k = q + sz.dk;
  const float* v = k + sz.dk;
  const std::size_t o_stride = static_cast<std::size_t>(sz.dv + 1);
  std::vector<float> o_ref(static_cast<std::size_t>(sz.T) * o_stride, -9.0f), o_vec = o_ref;
  std::vector<float> s_ref = in.state, s_vec = in.state;
  std::vector<float> scratch_ref(gated_delta_chunk_scratch_floats(sz.dk, sz.dv));
  std::vector<float> scratch_vec(gated_delta_chunk_scratch_floats_vec(sz.dk, sz.dv));
  gated_delta_chunked_head_ref(sz.dk, sz.dv, sz.T, q, k, v, in.stride, in.g.data(), in.beta.data(), 1, s_ref.data(),
                               o_ref.data(), o_stride, scratch_ref.data());
  gated_delta_chunked_head_vec(sz.dk, sz.dv, sz.T, q, k, v, in.stride, in.g.data(), in.beta.data(), 1, s_vec.data(),
                               o_vec.data(), o_stride, scratch_vec.data());
  const float tol_o = 2e-5f * (1.0f + max_abs(o_ref)), tol_s = 2e-5f * (1.0f + max_abs(s_ref));
  for (std::size_t i = 0; i < o_ref.size(); ++i) ASSERT_NEAR(o_vec[i], o_ref[i], tol_o) << "o " << i;
  for (std::size_t i = 0; i < s_ref.size(); ++i) ASSERT_NEAR(s_vec[i], s_ref[i], tol_s) << "state " << i;
}

TEST_P(GatedDeltaVec, StepsMatchReference) {
  const Size sz = GetParam();
  Inputs in = make_inputs(std::min(sz.T, 9), sz.dk, sz.dv, 77);
  std::vector<float> s_ref = in.state, s_vec = in.state, o_ref(static_cast<std::size_t>(sz.dv)), o_vec(o_ref.size());
  for (int t = 0; t < in.T; ++t) {
    const float* q = in.qkv.data() + static_cast<std::size_t>(t) * in.stride;
    const std::size_t tt = static_cast<std::size_t>(t);
    gated_delta_step_head_ref(sz.dk, sz.dv, q, q + sz.dk, q + 2 * sz.dk, in.g[tt], in.beta[tt], s_ref.data(),
                              o_ref.data());
    gated_delta_step_head_vec(sz.dk, sz.dv, q, q + sz.dk, q + 2 * sz.dk, in.g[tt], in.beta[tt], s_vec.data(),
                              o_vec.data());
    for (std::size_t i = 0; i < o_ref.size(); ++i) ASSERT_NEAR(o_vec[i], o_ref[i], 1e-5f * (1 + std::fabs(o_ref[i])));
  }
  for (std::size_t i = 0; i < s_ref.size(); ++i) ASSERT_NEAR(s_vec[i], s_ref[i], 1e-5f * (1 + std::fabs(s_ref[i])));
}

INSTANTIATE_TEST_SUITE_P(Sizes, GatedDeltaVec,
                         ::testing::Values(Size{1, 8, 8}, Size{7, 5, 17}, Size{64, 16, 24}, Size{65, 13, 9},
                                           Size{130, 128, 128}, Size{200, 33, 40}));

}  // namespace
}  // namespace linnet::kernels
