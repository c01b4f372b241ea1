// XnnFullyConnected and XnnLinearBackend against the reference linear kernel
// (kernels/reference/linear_ref.h), every bundle dtype XNNPACK runs, odd sizes, 1 and 2
// threads, and the lifecycle's refusals.
#include "kernels/xnnpack/fully_connected.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/platform/thread_pool.h"
#include "kernels/reference/linear_ref.h"
#include "kernels/xnnpack/test_weights.h"
#include "kernels/xnnpack/xnn_linear.h"

namespace linnet::kernels {
namespace {

using testing::make_weight;

std::vector<float> random_input(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n + 16);  // XNNPACK may over-read 16 bytes
  for (float& f : v) f = dist(rng);
  return v;
}

float max_abs(const std::vector<float>& v) {
  float m = 0;
  for (float f : v) m = std::max(m, std::fabs(f));
  return m;
}

TEST(XnnFullyConnected, LifecycleRejectsCallsOutOfOrder) {
  auto ctx = XnnContext::create();
  ASSERT_TRUE(ctx.ok()) << ctx.error().message();
  auto w = make_weight(DType::kQ4, 24, 64, 1);
  auto op = XnnFullyConnected::create(*ctx, w.view, nullptr);
  ASSERT_TRUE(op.ok()) << op.error().message();
  std::vector<float> x = random_input(2 * 64, 2), y(2 * 24);
  std::vector<std::byte> scratch(XnnFullyConnected::qd8_scratch_bytes(2, 64) + 16);
  std::span<std::byte> aligned(reinterpret_cast<std::byte*>((reinterpret_cast<std::uintptr_t>(scratch.data()) + 15) &
                                                            ~std::uintptr_t{15}),
                               XnnFullyConnected::qd8_scratch_bytes(2, 64));
  EXPECT_EQ(op->run(nullptr).error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(op->setup(x.data(), y.data(), aligned).error().code(), ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(op->reshape(2, nullptr).ok());
  EXPECT_EQ(op->run(nullptr).error().code(), ErrorCode::kFailedPrecondition);  // reshaped, not set up
  EXPECT_EQ(op->setup(x.data(), y.data(), aligned.first(10)).error().code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(op->setup(x.data(), y.data(), aligned).ok());
  ASSERT_TRUE(op->run(nullptr).ok());
  EXPECT_TRUE(op->run(nullptr).ok());  // runs repeat while bound
  ASSERT_TRUE(op->reshape(1, nullptr).ok());
  EXPECT_EQ(op->run(nullptr).error().code(), ErrorCode::kFailedPrecondition);  // setup needed again
  EXPECT_FALSE(op->reshape(0, nullptr).ok());
}

TEST(XnnFullyConnected, RejectsWhatXnnpackCannotRun) {
  auto ctx = XnnContext::create();
  ASSERT_TRUE(ctx.ok());
  auto bf16 = make_weight(DType::kBF16, 8, 32, 3);
  EXPECT_FALSE(XnnFullyConnected::supports(bf16.view));
  EXPECT_EQ(XnnFullyConnected::create(*ctx, bf16.view, nullptr).error().code(), ErrorCode::kUnsupported);
  auto q4 = make_weight(DType::kQ4, 8, 64, 3);
  q4.view.block_size = 16;
  EXPECT_FALSE(XnnFullyConnected::supports(q4.view));
  auto q6t = make_weight(DType::kQ6T, 8, 64, 3);  // no 6-bit operator in XNNPACK 2024-11
  EXPECT_FALSE(XnnFullyConnected::supports(q6t.view));
}

struct Case {
  DType dtype;
  std::int64_t n, k;
  int rows;
  int threads;
};

class XnnLinearVsReference : public ::testing::TestWithParam<Case> {};

TEST_P(XnnLinearVsReference, MatchesReference) {
  const Case c = GetParam();
  auto pool = ThreadPool::create(c.threads);
  ASSERT_TRUE(pool.ok());
  XnnLinearOptions o;
  o.max_rows = 64;
  o.max_in_features = 1024;
  o.pool = &*pool;
  auto backend = XnnLinearBackend::create(o);
  ASSERT_TRUE(backend.ok()) << backend.error().message();
  auto w = make_weight(c.dtype, c.n, c.k, static_cast<std::uint32_t>(c.n * 31 + c.k));
  auto kernel = (*backend)->create_kernel(w.view);
  ASSERT_TRUE(kernel.ok()) << kernel.error().message();
  ASSERT_TRUE((*backend)->finish_loading().ok());
  const auto x = random_input(static_cast<std::size_t>(c.rows * c.k), 5);
  std::vector<float> y(static_cast<std::size_t>(c.rows * c.n)), ref(y.size());
  linear_ref(w.view, x.data(), c.rows, ref.data());
  // Twice, with a different row count in between: reshape and setup are redone.
  for (int pass = 0; pass < 2; ++pass) {
    ASSERT_TRUE((*kernel)->run(x.data(), c.rows, y.data()).ok());
    // Float weights: float rounding. Quantized: the int8 activations add ~1/255 of each
    // row's range per element, so compare against the output scale.
    const bool quantized = c.dtype == DType::kQ4 || c.dtype == DType::kQ8 || is_tiled(c.dtype);
    const float tol = quantized ? 0.02f * max_abs(ref) + 1e-4f : (c.dtype == DType::kF16 ? 2e-3f : 1e-4f);
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_NEAR(y[i], ref[i], tol) << (*kernel)->implementation() << " " << i;
    std::vector<float> one(static_cast<std::size_t>(c.n));
    ASSERT_TRUE((*kernel)->run(x.data(), 1, one.data()).ok());
  }
  // run_rows: the chosen rows only, from the bundle weight.
  const std::vector<std::int32_t> rows = {0, static_cast<std::int32_t>(c.n - 1)};
  std::vector<float> picked(2);
  ASSERT_TRUE((*kernel)->run_rows(x.data(), rows, picked.data()).ok());
  EXPECT_NEAR(picked[1], ref[static_cast<std::size_t>(c.n - 1)], 1e-4f + 1e-4f * std::fabs(picked[1]));
  EXPECT_FALSE((*kernel)->run(x.data(), 65, y.data()).ok());  // above max_rows
}

INSTANTIATE_TEST_SUITE_P(
    Dtypes, XnnLinearVsReference,
    ::testing::Values(Case{DType::kQ4, 37, 96, 1, 1}, Case{DType::kQ4, 129, 256, 7, 2},
                      Case{DType::kQ4, 250, 1024, 33, 2}, Case{DType::kQ8, 37, 96, 1, 2},
                      Case{DType::kQ8, 129, 200, 7, 1}, Case{DType::kF32, 37, 70, 3, 2},
                      Case{DType::kF32, 5, 1, 1, 1}, Case{DType::kF16, 41, 66, 5, 2},
                      // The tiled layouts, rewritten into XNNPACK's at create (--linear xnnpack).
                      Case{DType::kQ8T, 37, 96, 3, 2}, Case{DType::kQ4T, 129, 256, 7, 2},
                      Case{DType::kQ4T, 13, 64, 1, 1}));

TEST(XnnLinearBackend, RejectsOversizedInputsAndLateKernels) {
  XnnLinearOptions o;
  o.max_rows = 4;
  o.max_in_features = 64;
  auto backend = XnnLinearBackend::create(o);
  ASSERT_TRUE(backend.ok());
  auto big = make_weight(DType::kQ8, 8, 96, 1);
  EXPECT_FALSE((*backend)->create_kernel(big.view).ok());
  auto w = make_weight(DType::kQ8, 8, 64, 2);
  ASSERT_TRUE((*backend)->create_kernel(w.view).ok());
  ASSERT_TRUE((*backend)->finish_loading().ok());
  EXPECT_EQ((*backend)->create_kernel(w.view).error().code(), ErrorCode::kFailedPrecondition);
}

}  // namespace
}  // namespace linnet::kernels
