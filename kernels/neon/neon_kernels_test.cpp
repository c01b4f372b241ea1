// Every NEON kernel against its reference (kernels/reference/), odd sizes included. Built
// for aarch64 only; the rpi4 and rpi5 presets run it under qemu -cpu cortex-a72 / cortex-a76.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/dispatch/kernel_table.h"
#include "kernels/neon/attention_neon.h"
#include "kernels/neon/elementwise_neon.h"
#include "kernels/neon/gated_delta_neon.h"
#include "kernels/neon/gemm_f32_neon.h"
#include "kernels/neon/rmsnorm_neon.h"
#include "kernels/platform/cpu_features.h"
#include "kernels/reference/activations_ref.h"
#include "kernels/reference/attention_ref.h"
#include "kernels/reference/conv1d_ref.h"
#include "kernels/reference/gated_delta_ref.h"
#include "kernels/reference/rmsnorm_ref.h"
#include "kernels/reference/rope_ref.h"
#include "kernels/reference/test_util.h"
#include "kernels/vec/gated_delta_vec.h"

namespace linnet::kernels {
namespace {

using testing::expect_close;
using testing::normal_vector;

TEST(NeonGemm, NnAndNtMatchNaiveOnOddSizes) {
  const int dims[][3] = {{1, 1, 1}, {3, 5, 7}, {4, 16, 4}, {5, 17, 9}, {64, 128, 128}, {63, 129, 33}};
  for (const auto& d : dims) {
    const int M = d[0], N = d[1], K = d[2];
    const auto a = normal_vector(static_cast<std::size_t>(M * K), 1), b = normal_vector(static_cast<std::size_t>(K * N), 2);
    std::vector<Half> b16(b.size());
    for (std::size_t i = 0; i < b.size(); ++i) b16[i] = float_to_half(b[i]);
    for (int variant = 0; variant < 4; ++variant) {
      std::vector<float> c(static_cast<std::size_t>(M * N), 0.5f), want(c.size());
      for (int m = 0; m < M; ++m)
        for (int n = 0; n < N; ++n) {
          double s = 0;
          for (int k = 0; k < K; ++k) {
            // nn: B [K, N]; nt: the same numbers read as B [N, K].
            const std::size_t bi = variant < 2 ? static_cast<std::size_t>(k * N + n) : static_cast<std::size_t>(n * K + k);
            const float bv = (variant % 2) ? half_to_float(b16[bi]) : b[bi];
            s += double(a[static_cast<std::size_t>(m * K + k)]) * bv;
          }
          want[static_cast<std::size_t>(m * N + n)] = 0.5f + static_cast<float>(1.5 * s);
        }
      const auto k_ = static_cast<std::size_t>(K), n_ = static_cast<std::size_t>(N);
      switch (variant) {
        case 0: gemm_nn_f32_neon(M, N, K, 1.5f, a.data(), k_, 1, b.data(), n_, c.data(), n_, true); break;
        case 1: gemm_nn_f32_f16b_neon(M, N, K, 1.5f, a.data(), k_, 1, b16.data(), n_, c.data(), n_, true); break;
        case 2: gemm_nt_f32_neon(M, N, K, 1.5f, a.data(), k_, b.data(), k_, c.data(), n_, true); break;
        case 3: gemm_nt_f32_f16b_neon(M, N, K, 1.5f, a.data(), k_, b16.data(), k_, c.data(), n_, true); break;
      }
      expect_close(c, want, 1e-4f, "gemm");
    }
  }
}

TEST(NeonNorms, MatchReference) {
  for (int n : {1, 7, 64, 131, 1024}) {
    const int rows = 5;
    const std::size_t stride = static_cast<std::size_t>(n + 3);
    const auto x = normal_vector(rows * stride, 3), z = normal_vector(rows * stride, 4), w = normal_vector(static_cast<std::size_t>(n), 5, 0.2f);
    std::vector<float> ref(x.size(), 0.0f), got(x.size(), 0.0f);
    rmsnorm_ref(x.data(), w.data(), rows, n, stride, 1e-6f, ref.data());
    rmsnorm_neon(x.data(), w.data(), rows, n, stride, 1e-6f, got.data());
    expect_close(got, ref, 2e-6f, "rmsnorm");
    rmsnorm_gated_ref(x.data(), z.data(), w.data(), rows, n, stride, 1e-6f, ref.data());
    rmsnorm_gated_neon(x.data(), z.data(), w.data(), rows, n, stride, 1e-6f, got.data());
    expect_close(got, ref, 2e-6f, "rmsnorm_gated");
    auto a = x, b = x;
    l2norm_scale_ref(a.data(), rows, n, stride, 1e-6f, 0.125f);
    l2norm_scale_neon(b.data(), rows, n, stride, 1e-6f, 0.125f);
    expect_close(b, a, 2e-6f, "l2norm");
  }
}

TEST(NeonElementwise, ActivationsRopeAndConvMatchReference) {
  for (std::size_t n : {1u, 6u, 33u, 3584u}) {
    auto g = normal_vector(n, 6, 4.0f), u = normal_vector(n, 7);
    g[0] = -95.0f;  // deep in the exp clamp
    if (n > 1) g[1] = 40.0f;
    std::vector<float> ref(n), got(n);
    swiglu_ref(g.data(), u.data(), n, ref.data());
    swiglu_neon(g.data(), u.data(), n, got.data());
    expect_close(got, ref, 2e-6f, "swiglu");
    auto xa = u, xb = u;
    mul_sigmoid_ref(xa.data(), g.data(), n);
    mul_sigmoid_neon(xb.data(), g.data(), n);
    expect_close(xb, xa, 2e-6f, "mul_sigmoid");
  }
  for (int rot : {2, 10, 64}) {
    const int heads = 3;
    const std::size_t stride = 80;
    std::vector<float> cs(static_cast<std::size_t>(rot / 2)), sn(cs.size());
    rope_cos_sin_ref(1234, rot, 1e7, cs.data(), sn.data());
    auto a = normal_vector(heads * stride, 8), b = a;
    rope_apply_ref(a.data(), heads, stride, rot, cs.data(), sn.data());
    rope_apply_neon(b.data(), heads, stride, rot, cs.data(), sn.data());
    expect_close(b, a, 1e-6f, "rope");
  }
  for (int T : {1, 2, 3, 5, 17}) {
    for (int C : {4, 12, 7}) {  // 7: not a multiple of 4, takes the reference path
      const auto x = normal_vector(static_cast<std::size_t>(T * C), 9), w = normal_vector(static_cast<std::size_t>(C * 4), 10, 0.5f);
      auto s_ref = normal_vector(static_cast<std::size_t>(3 * C), 11), s_got = s_ref;
      std::vector<float> ref(x.size()), got(x.size());
      causal_conv1d_silu_ref(x.data(), T, C, w.data(), 4, s_ref.data(), ref.data());
      causal_conv1d_silu_neon(x.data(), T, C, w.data(), 4, s_got.data(), got.data());
      expect_close(got, ref, 2e-6f, "conv");
      expect_close(s_got, s_ref, 0.0f, "conv state");
      // Channel ranges (as threads split them) give the same.
      auto s_rng = normal_vector(static_cast<std::size_t>(3 * C), 11);
      std::vector<float> rng_out(x.size());
      const int mid = C / 2;
      causal_conv1d_silu_range_neon(x.data(), T, C, w.data(), 4, s_rng.data(), rng_out.data(), 0, mid);
      causal_conv1d_silu_range_neon(x.data(), T, C, w.data(), 4, s_rng.data(), rng_out.data(), mid, C);
      expect_close(rng_out, ref, 2e-6f, "conv range");
      expect_close(s_rng, s_ref, 0.0f, "conv range state");
    }
  }
}

// q/k rows L2-normalised as the executor gives them.
std::vector<float> delta_inputs(int T, int dk, int dv, std::size_t stride, std::uint32_t seed) {
  auto qkv = normal_vector(static_cast<std::size_t>(T) * stride, seed);
  for (int t = 0; t < T; ++t)
    for (int part = 0; part < 2; ++part) {
      float* x = qkv.data() + static_cast<std::size_t>(t) * stride + static_cast<std::size_t>(part * dk);
      float s = 0;
      for (int i = 0; i < dk; ++i) s += x[i] * x[i];
      for (int i = 0; i < dk; ++i) x[i] /= std::sqrt(s + 1e-6f) * (part == 0 ? std::sqrt(float(dk)) : 1.0f);
    }
  (void)dv;
  return qkv;
}

TEST(NeonGatedDelta, StepAndChunkedMatchReference) {
  const int sizes[][3] = {{1, 8, 8}, {7, 5, 17}, {65, 16, 24}, {130, 128, 128}, {40, 33, 6}};
  for (const auto& sz : sizes) {
    const int T = sz[0], dk = sz[1], dv = sz[2];
    const std::size_t stride = static_cast<std::size_t>(2 * dk + dv + 1);
    const auto qkv = delta_inputs(T, dk, dv, stride, 12);
    std::vector<float> g(static_cast<std::size_t>(T)), beta(g.size());
    std::mt19937 rng(13);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (std::size_t t = 0; t < g.size(); ++t) {
      g[t] = -0.4f * u(rng);
      beta[t] = 0.05f + 0.9f * u(rng);
    }
    const auto s0 = normal_vector(static_cast<std::size_t>(dk * dv), 14, 0.2f);
    const float* q = qkv.data();
    // Chunked.
    auto s_ref = s0, s_got = s0;
    std::vector<float> o_ref(static_cast<std::size_t>(T * dv)), o_got(o_ref.size());
    std::vector<float> sr(gated_delta_chunk_scratch_floats(dk, dv)), sg(gated_delta_chunk_scratch_floats_vec(dk, dv));
    gated_delta_chunked_head_ref(dk, dv, T, q, q + dk, q + 2 * dk, stride, g.data(), beta.data(), 1, s_ref.data(),
                                 o_ref.data(), static_cast<std::size_t>(dv), sr.data());
    gated_delta_chunked_head_neon(dk, dv, T, q, q + dk, q + 2 * dk, stride, g.data(), beta.data(), 1, s_got.data(),
                                  o_got.data(), static_cast<std::size_t>(dv), sg.data());
    expect_close(o_got, o_ref, 5e-5f, "chunked o");
    expect_close(s_got, s_ref, 5e-5f, "chunked state");
    // Steps.
    s_ref = s0;
    s_got = s0;
    std::vector<float> a(static_cast<std::size_t>(dv)), b(a.size());
    for (int t = 0; t < std::min(T, 9); ++t) {
      const float* r = q + static_cast<std::size_t>(t) * stride;
      gated_delta_step_head_ref(dk, dv, r, r + dk, r + 2 * dk, g[static_cast<std::size_t>(t)],
                                beta[static_cast<std::size_t>(t)], s_ref.data(), a.data());
      gated_delta_step_head_neon(dk, dv, r, r + dk, r + 2 * dk, g[static_cast<std::size_t>(t)],
                                 beta[static_cast<std::size_t>(t)], s_got.data(), b.data());
      expect_close(b, a, 1e-5f, "step o");
    }
    expect_close(s_got, s_ref, 1e-5f, "step state");
  }
}

TEST(NeonAttention, DecodeAndPrefillMatchReferenceF32F16AndInt8) {
  const int cases[][3] = {{8, 0, 1}, {13, 0, 17}, {64, 5, 33}, {256, 0, 70}, {256, 100, 3}, {24, 31, 16}};
  for (const auto& c : cases) {
    const int hd = c[0], first = c[1], T = c[2], n = first + T;
    const std::size_t H = static_cast<std::size_t>(hd), N = static_cast<std::size_t>(n);
    auto kc = normal_vector(N * H, 15), vc = normal_vector(N * H, 16);
    std::vector<Half> k16(kc.size()), v16(vc.size());
    for (std::size_t i = 0; i < kc.size(); ++i) {
      k16[i] = float_to_half(kc[i]);
      kc[i] = half_to_float(k16[i]);
      v16[i] = float_to_half(vc[i]);
      vc[i] = half_to_float(v16[i]);
    }
    const std::size_t qs = 2 * H + 3;
    const auto q = normal_vector(static_cast<std::size_t>(T) * qs, 17);
    const AttentionShape one{1, 1, hd};
    std::vector<float> ref(static_cast<std::size_t>(T) * H), g32(ref.size()), g16(ref.size());
    std::vector<float> rs(attention_prefill_scratch_floats(n)), s(attention_prefill_scratch_floats(n));
    attention_prefill_ref(one, T, first, q.data(), qs, 0, kc.data(), vc.data(), n, ref.data(), rs.data());
    attention_prefill_head_neon<float>(hd, T, first, q.data(), qs, kc.data(), vc.data(), g32.data(), H, s.data());
    attention_prefill_head_neon<Half>(hd, T, first, q.data(), qs, k16.data(), v16.data(), g16.data(), H, s.data());
    expect_close(g32, ref, 3e-5f, "prefill f32");
    expect_close(g16, ref, 3e-5f, "prefill f16");
    std::vector<float> dref(H), d32(H), d16(H);
    const float* ql = q.data() + static_cast<std::size_t>(T - 1) * qs;
    attention_decode_ref(one, ql, 0, kc.data(), vc.data(), n, n, dref.data(), rs.data());
    attention_decode_head_neon<float>(hd, ql, kc.data(), vc.data(), n, d32.data(), s.data());
    attention_decode_head_neon<Half>(hd, ql, k16.data(), v16.data(), n, d16.data(), s.data());
    expect_close(d32, dref, 3e-5f, "decode f32");
    expect_close(d16, dref, 3e-5f, "decode f16");

    // int8 cache against the reference's int8 kernels on the same quantized rows.
    const testing::Int8Cache k8 = testing::quantize_rows(kc, hd), v8 = testing::quantize_rows(vc, hd);
    std::vector<float> ref8(ref.size()), g8(ref.size()), dref8(H), d8(H);
    attention_prefill_ref(one, T, first, q.data(), qs, 0, k8.rows(), v8.rows(), n, ref8.data(), rs.data());
    attention_prefill_head_i8_neon(hd, T, first, q.data(), qs, k8.rows(), v8.rows(), g8.data(), H, s.data());
    expect_close(g8, ref8, 3e-5f, "prefill int8");
    attention_decode_ref(one, ql, 0, k8.rows(), v8.rows(), n, n, dref8.data(), rs.data());
    attention_decode_head_i8_neon(hd, ql, k8.rows(), v8.rows(), n, d8.data(), s.data());
    expect_close(d8, dref8, 3e-5f, "decode int8");
  }
}

// SDOT decode over the int8 cache equals the int8 reference on the query rounded the same
// way (the kernel quantizes it like a cache row), odd head sizes included.
TEST(NeonAttention, DotprodInt8DecodeMatchesReferenceOnTheRoundedQuery) {
  auto features = detect_cpu_features();
  ASSERT_TRUE(features.ok());
  if (!features->dotprod) GTEST_SKIP() << "this CPU has no dot-product extension (" << features->summary() << ")";
  const int cases[][2] = {{8, 1}, {13, 17}, {64, 38}, {256, 70}, {256, 103}, {40, 5}, {600, 9}};
  for (const auto& c : cases) {
    const int hd = c[0], n = c[1];
    const std::size_t H = static_cast<std::size_t>(hd), N = static_cast<std::size_t>(n);
    const testing::Int8Cache k8 = testing::quantize_rows(normal_vector(N * H, 25), hd);
    const testing::Int8Cache v8 = testing::quantize_rows(normal_vector(N * H, 26), hd);
    const auto q = normal_vector(H, 27, 2.0f);
    std::vector<float> q_rounded = q;
    testing::round_through_int8(q_rounded.data(), hd);
    const AttentionShape one{1, 1, hd};
    std::vector<float> want(H), got(H), scratch(N);
    // Heads over 512 take the float path: their reference is the unrounded query.
    attention_decode_ref(one, hd > 512 ? q.data() : q_rounded.data(), 0, k8.rows(), v8.rows(), n, n, want.data(),
                         scratch.data());
    attention_decode_head_i8_dotprod(hd, q.data(), k8.rows(), v8.rows(), n, got.data(), scratch.data());
    expect_close(got, want, 3e-5f, "dotprod decode");
  }
}

// What the NEON table files name (KernelSet::select completes the rest; kernel_set_test
// checks the completed tables).
TEST(NeonTable, NamesTheNeonKernels) {
  const KernelTable* t = neon_kernel_table();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->gated_delta_chunked_head, &gated_delta_chunked_head_neon);
  EXPECT_NE(t->attention_prefill_head_f16, nullptr);
  EXPECT_EQ(t->attention_decode_head_i8, &attention_decode_head_i8_neon);
  EXPECT_EQ(t->attention_prefill_head_i8, &attention_prefill_head_i8_neon);
  const KernelTable* dot = neon_dotprod_kernel_table();
  ASSERT_NE(dot, nullptr);
  EXPECT_EQ(dot->attention_decode_head_i8, &attention_decode_head_i8_dotprod);
}

}  // namespace
}  // namespace linnet::kernels
