// Every quantized-matrix tier this build has (tiled_tiers(): AVX2 on x86-64; NEON and NEON
// dotprod under qemu cortex-a72 / a76) against the scalar reference, on odd sizes; the
// reference against float arithmetic on the dequantized weights; and the linear backend
// (threads, run_rows, one quantization shared by several layers).
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/linear.h"
#include "kernels/qlinear/tiled_kernels.h"
#include "kernels/qlinear/tiled_linear.h"
#include "kernels/qlinear/tiled_pack.h"
#include "kernels/reference/linear_ref.h"

namespace linnet::kernels {
namespace {

constexpr DType kTiledDTypes[] = {DType::kQ8T, DType::kQ4T, DType::kQ6T};

struct Weights {
  TiledTensor packed;
  TensorView view;
  TiledMatrix matrix() const {
    return TiledMatrix{view.dtype, packed.data.data(), packed.scales.data(), view.rows(), view.cols()};
  }
};

Weights make_weights(DType dtype, std::int64_t N, std::int64_t K, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> w(static_cast<std::size_t>(N * K));
  for (float& v : w) v = normal(rng);
  Weights out{pack_tiled_tensor(dtype, w, N, K), {}};
  out.view = out.packed.view();
  out.view.name = "w";
  return out;
}

std::vector<float> make_x(int rows, std::int64_t K, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(rows * K));
  for (float& v : x) v = normal(rng);
  // A block of zeros and one with a large outlier: the scale's edge cases.
  for (std::int64_t k = 0; k < 32 && k < K; ++k) x[static_cast<std::size_t>(k)] = 0;
  if (K >= 64) x[static_cast<std::size_t>(K + 40 < static_cast<std::int64_t>(x.size()) ? K + 40 : 40)] = 50.0f;
  return x;
}

struct Activations {
  std::vector<std::int8_t> q;
  std::vector<float> d;
  std::vector<std::int32_t> sum;
  QuantizedRows rows;
  Activations(int n, std::int64_t K)
      : q(static_cast<std::size_t>(n * K)), d(static_cast<std::size_t>(n * K / 32)), sum(d.size()) {
    rows = QuantizedRows{q.data(), d.data(), sum.data(), n, static_cast<int>(K)};
  }
};

std::vector<const TiledKernels*> tiers_of_this_cpu() {
  std::vector<const TiledKernels*> out;
  const auto cpu = detect_cpu_features();
  for (const TiledTier& t : tiled_tiers()) {
    const TiledKernels* k = t.kernels();
    if (k == nullptr) continue;
    if (!cpu.ok() || !t.usable(*cpu)) {
      std::printf("tier %s: not runnable on this CPU, skipped\n", t.name);
      continue;
    }
    out.push_back(k);
  }
  return out;
}

TEST(TiledGemm, EveryTierMatchesTheReferenceOnOddSizes) {
  std::mt19937 rng(11);
  const auto tiers = tiers_of_this_cpu();
  ASSERT_FALSE(tiers.empty());
  const TiledKernels& ref = tiled_kernels_ref();
  for (const TiledKernels* tier : tiers) {
    std::printf("tier %s\n", tier->name);
    for (DType dtype : kTiledDTypes) {
      for (std::int64_t N : {1, 7, 8, 13, 40}) {
        for (std::int64_t K : {32, 96, 288}) {
          Weights w = make_weights(dtype, N, K, rng);
          for (int rows : {1, 2, 3, 4, 5, 9}) {
            const std::vector<float> x = make_x(rows, K, rng);
            Activations a_ref(rows, K), a_tier(rows, K);
            ref.quantize_rows(x.data(), static_cast<std::size_t>(K), 0, rows, a_ref.rows);
            tier->quantize_rows(x.data(), static_cast<std::size_t>(K), 0, rows, a_tier.rows);
            ASSERT_EQ(a_ref.q, a_tier.q) << tier->name;
            ASSERT_EQ(a_ref.d, a_tier.d) << tier->name;
            ASSERT_EQ(a_ref.sum, a_tier.sum) << tier->name;
            // y with a guard column past N: the kernels write [0, N) of each row only.
            const std::size_t stride = static_cast<std::size_t>(N) + 1;
            const std::size_t rows_z = static_cast<std::size_t>(rows);
            std::vector<float> y_ref(rows_z * stride, -7.0f), y_tier(rows_z * stride, -7.0f);
            const std::int64_t tiles = (N + 7) / 8;
            ref.gemm_for(dtype)(w.matrix(), a_ref.rows, 0, tiles, y_ref.data(), stride);
            // The tier in two tile ranges, as the thread split calls it.
            tier->gemm_for(dtype)(w.matrix(), a_tier.rows, 0, tiles / 2, y_tier.data(), stride);
            tier->gemm_for(dtype)(w.matrix(), a_tier.rows, tiles / 2, tiles, y_tier.data(), stride);
            for (int t = 0; t < rows; ++t) {
              for (std::int64_t n = 0; n < N; ++n) {
                // Bound: float rounding of K/32 block terms, relative to their magnitudes.
                double mag = 0;
                for (std::int64_t k = 0; k < K; ++k)
                  mag += std::fabs(static_cast<double>(tiled_code(w.view, n, k)) * tiled_scale(w.view, n, k) *
                                   a_ref.q[static_cast<std::size_t>(t * K + k)] *
                                   a_ref.d[static_cast<std::size_t>(t * K / 32 + k / 32)]);
                const float r = y_ref[static_cast<std::size_t>(t) * stride + static_cast<std::size_t>(n)];
                const float f = y_tier[static_cast<std::size_t>(t) * stride + static_cast<std::size_t>(n)];
                ASSERT_NEAR(f, r, 4e-6 * mag + 1e-7)
                    << tier->name << " " << dtype_name(dtype) << " N " << N << " K " << K << " rows " << rows
                    << " t " << t << " n " << n;
              }
              EXPECT_EQ(y_tier[static_cast<std::size_t>(t) * stride + static_cast<std::size_t>(N)], -7.0f) << "wrote past N";
            }
          }
        }
      }
    }
  }
}

// The reference's integer arithmetic is the float product of the dequantized weights and
// the dequantized activations (up to float rounding), and close to the unquantized input.
TEST(TiledGemm, ReferenceEqualsDequantizedArithmetic) {
  std::mt19937 rng(5);
  const std::int64_t N = 19, K = 160;
  const int rows = 3;
  for (DType dtype : kTiledDTypes) {
    Weights w = make_weights(dtype, N, K, rng);
    const std::vector<float> x = make_x(rows, K, rng);
    Activations a(rows, K);
    quantize_rows_ref(x.data(), static_cast<std::size_t>(K), 0, rows, a.rows);
    std::vector<float> xq(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
      xq[i] = static_cast<float>(a.q[i]) * a.d[i / 32];
    std::vector<float> y(static_cast<std::size_t>(rows * N)), y_float(y.size()), y_exact(y.size());
    tiled_gemm_ref(w.matrix(), a.rows, 0, (N + 7) / 8, y.data(), static_cast<std::size_t>(N));
    linear_ref(w.view, xq.data(), rows, y_float.data());  // dequantized weights x dequantized x
    linear_ref(w.view, x.data(), rows, y_exact.data());   // dequantized weights x float x
    double err = 0, ref = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      EXPECT_NEAR(y[i], y_float[i], 1e-4 * (1 + std::fabs(y_float[i]))) << dtype_name(dtype);
      err += (y[i] - y_exact[i]) * (y[i] - y_exact[i]);
      ref += y_exact[i] * y_exact[i];
    }
    // int8 activations per block of 32: about 0.5 % relative error on normal inputs.
    EXPECT_LT(std::sqrt(err / ref), 0.02) << dtype_name(dtype);
  }
}

TEST(TiledLinearBackend, ThreadsRowsAndSharedInputGiveTheSameResult) {
  std::mt19937 rng(3);
  const std::int64_t K = 256;
  Weights a = make_weights(DType::kQ4T, 44, K, rng);
  Weights b = make_weights(DType::kQ8T, 17, K, rng);
  Weights c = make_weights(DType::kQ6T, 33, K, rng);
  const int rows = 6;
  const std::vector<float> x = make_x(rows, K, rng);
  auto cpu = detect_cpu_features();
  ASSERT_TRUE(cpu.ok());
  auto pool = ThreadPool::create(3);
  ASSERT_TRUE(pool.ok());
  TiledLinearOptions o1{.max_rows = 8, .max_in_features = K, .pool = nullptr, .cpu = *cpu};
  TiledLinearOptions o3 = o1;
  o3.pool = &*pool;
  auto one = TiledLinearBackend::create(o1);
  auto three = TiledLinearBackend::create(o3);
  ASSERT_TRUE(one.ok() && three.ok());
  for (Weights* w : {&a, &b, &c}) {
    auto k1 = (*one)->create_kernel(w->view);
    auto k3 = (*three)->create_kernel(w->view);
    ASSERT_TRUE(k1.ok() && k3.ok());
    const std::size_t N = static_cast<std::size_t>(w->view.rows());
    std::vector<float> y1(rows * N), y3(rows * N);
    ASSERT_TRUE((*k1)->run(x.data(), rows, y1.data()).ok());
    ASSERT_TRUE((*k3)->run(x.data(), rows, y3.data()).ok());
    EXPECT_EQ(y1, y3) << "threads change nothing: each tile is computed whole by one thread";
    // run_rows on the last input row = the same entries of run() on that row alone.
    std::vector<float> y_last(N);
    ASSERT_TRUE((*k1)->run(x.data() + (rows - 1) * K, 1, y_last.data()).ok());
    const std::int32_t picks[] = {0, static_cast<std::int32_t>(N - 1), static_cast<std::int32_t>(N / 2)};
    float got[3];
    ASSERT_TRUE((*k1)->run_rows(x.data() + (rows - 1) * K, picks, got).ok());
    for (int i = 0; i < 3; ++i) EXPECT_EQ(got[i], y_last[static_cast<std::size_t>(picks[i])]);
    EXPECT_FALSE((*k1)->run(x.data(), 9, y1.data()).ok()) << "more rows than max_rows";
  }
  // Three layers on one input: quantized once, the same outputs as separate runs.
  auto ka = (*three)->create_kernel(a.view);
  auto kb = (*three)->create_kernel(b.view);
  auto kc = (*three)->create_kernel(c.view);
  std::vector<float> ya(rows * 44), yb(rows * 17), yc(rows * 33), sa(ya.size()), sb(yb.size()), sc(yc.size());
  ASSERT_TRUE(run_on_same_input(x.data(), rows, {{ka->get(), ya.data()}, {kb->get(), yb.data()}, {kc->get(), yc.data()}}).ok());
  ASSERT_TRUE((*ka)->run(x.data(), rows, sa.data()).ok());
  ASSERT_TRUE((*kb)->run(x.data(), rows, sb.data()).ok());
  ASSERT_TRUE((*kc)->run(x.data(), rows, sc.data()).ok());
  EXPECT_EQ(ya, sa);
  EXPECT_EQ(yb, sb);
  EXPECT_EQ(yc, sc);
}

}  // namespace
}  // namespace linnet::kernels
