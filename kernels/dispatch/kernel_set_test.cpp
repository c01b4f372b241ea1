// Whole-layer kernels through the KernelSet (every tier this CPU has, 1 and 3 threads)
// against the reference kernels on a small odd-sized model shape; the kernel choice: the
// order of kernel_tiers() and the completion of every table it can select.
#include "kernels/dispatch/kernel_set.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/reference/activations_ref.h"
#include "kernels/reference/attention_ref.h"
#include "kernels/reference/conv1d_ref.h"
#include "kernels/reference/gated_delta_ref.h"
#include "kernels/reference/rmsnorm_ref.h"
#include "kernels/reference/test_util.h"

namespace linnet::kernels {
namespace {

using testing::expect_close;
using testing::normal_vector;

struct Config {
  KernelTier tier;
  int threads;
};

class KernelSetTest : public ::testing::TestWithParam<Config> {
 protected:
  void SetUp() override {
    auto f = detect_cpu_features();
    ASSERT_TRUE(f.ok());
    auto p = ThreadPool::create(GetParam().threads);
    ASSERT_TRUE(p.ok());
    pool_.emplace(std::move(*p));
    set_.emplace(KernelSet::select(*f, &*pool_, GetParam().tier));
  }
  // The reference tier runs the reference kernels themselves (its per-head attention and
  // conv channel ranges split the same computation): bit for bit their results.
  float tolerance(float optimised) const { return set_->tier() == KernelTier::kReference ? 0.0f : optimised; }
  std::optional<ThreadPool> pool_;
  std::optional<KernelSet> set_;
};

TEST_P(KernelSetTest, GatedDeltaLayerMatchesReference) {
  const GatedDeltaShape shape{2, 6, 16, 12};  // Hk 2, Hv 6 (groups of 3), dk 16, dv 12
  const int T = 71;
  const std::size_t C = static_cast<std::size_t>(shape.qkv_channels());
  auto qkv = normal_vector(static_cast<std::size_t>(T) * C, 1, 0.3f);
  std::vector<float> g(static_cast<std::size_t>(T * shape.num_value_heads)), beta(g.size());
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (std::size_t i = 0; i < g.size(); ++i) {
    g[i] = -0.3f * u(rng);
    beta[i] = 0.1f + 0.8f * u(rng);
  }
  const std::size_t state_n = static_cast<std::size_t>(shape.num_value_heads * shape.key_dim * shape.value_dim);
  auto s_ref = normal_vector(state_n, 3, 0.1f), s_got = s_ref;
  std::vector<float> o_ref(static_cast<std::size_t>(T * shape.num_value_heads * shape.value_dim)), o_got(o_ref.size());
  std::vector<float> ref_scratch(gated_delta_prefill_scratch_floats(shape));
  gated_delta_prefill_ref(shape, T, qkv.data(), g.data(), beta.data(), s_ref.data(), o_ref.data(), ref_scratch.data());
  const std::size_t per_thread = KernelSet::gated_delta_prefill_scratch_floats(shape);
  std::vector<float> scratch(per_thread * static_cast<std::size_t>(set_->threads()));
  set_->gated_delta_prefill(shape, T, qkv.data(), g.data(), beta.data(), s_got.data(), o_got.data(), scratch.data(),
                            per_thread);
  expect_close(o_got, o_ref, 1e-4f, "prefill o");
  expect_close(s_got, s_ref, 1e-4f, "prefill state");
  // One decode step from there.
  std::vector<float> d_ref(static_cast<std::size_t>(shape.num_value_heads * shape.value_dim)), d_got(d_ref.size());
  gated_delta_decode_ref(shape, qkv.data(), g.data(), beta.data(), s_ref.data(), d_ref.data());
  set_->gated_delta_decode(shape, qkv.data(), g.data(), beta.data(), s_got.data(), d_got.data());
  expect_close(d_got, d_ref, 1e-4f, "decode o");
  expect_close(s_got, s_ref, 1e-4f, "decode state");
}

TEST_P(KernelSetTest, AttentionLayerMatchesReferenceWithF32F16AndInt8Caches) {
  const AttentionShape shape{4, 2, 24};
  const int capacity = 60, first = 9, T = 35;
  const std::size_t hd = 24, cap = static_cast<std::size_t>(capacity);
  auto kc = normal_vector(2 * cap * hd, 4), vc = normal_vector(2 * cap * hd, 5);
  std::vector<Half> k16(kc.size()), v16(vc.size());
  for (std::size_t i = 0; i < kc.size(); ++i) {
    k16[i] = float_to_half(kc[i]);
    kc[i] = half_to_float(k16[i]);  // the f32 cache holds the same rounded values
    v16[i] = float_to_half(vc[i]);
    vc[i] = half_to_float(v16[i]);
  }
  const std::size_t q_head = 2 * hd, q_token = 4 * q_head;  // [query | gate] per head
  auto q = normal_vector(static_cast<std::size_t>(T) * q_token, 6);
  std::vector<float> ref(static_cast<std::size_t>(T) * 4 * hd), got_f32(ref.size()), got_f16(ref.size());
  std::vector<float> rs(attention_prefill_scratch_floats(capacity));
  attention_prefill_ref(shape, T, first, q.data(), q_token, q_head, kc.data(), vc.data(), capacity, ref.data(), rs.data());
  const std::size_t per_thread = KernelSet::attention_prefill_scratch_floats(capacity);
  std::vector<float> scratch(per_thread * static_cast<std::size_t>(set_->threads()));
  set_->attention_prefill<const float*>(shape, T, first, q.data(), q_token, q_head, kc.data(), vc.data(), capacity,
                                 got_f32.data(), scratch.data(), per_thread);
  set_->attention_prefill<const Half*>(shape, T, first, q.data(), q_token, q_head, k16.data(), v16.data(), capacity,
                                got_f16.data(), scratch.data(), per_thread);
  expect_close(got_f32, ref, tolerance(2e-5f), "prefill f32");
  expect_close(got_f16, ref, 2e-5f, "prefill f16");

  std::vector<float> dref(4 * hd), d32(dref.size()), d16(dref.size());
  const float* ql = q.data() + static_cast<std::size_t>(T - 1) * q_token;
  attention_decode_ref(shape, ql, q_head, kc.data(), vc.data(), capacity, first + T, dref.data(), rs.data());
  set_->attention_decode<const float*>(shape, ql, q_head, kc.data(), vc.data(), capacity, first + T, d32.data(),
                                scratch.data(), per_thread);
  set_->attention_decode<const Half*>(shape, ql, q_head, k16.data(), v16.data(), capacity, first + T, d16.data(),
                               scratch.data(), per_thread);
  expect_close(d32, dref, tolerance(2e-5f), "decode f32");
  expect_close(d16, dref, 2e-5f, "decode f16");

  // int8 cache against the reference's int8 kernels (same quantized rows).
  const testing::Int8Cache k8 = testing::quantize_rows(kc, shape.head_dim), v8 = testing::quantize_rows(vc, shape.head_dim);
  std::vector<float> ref8(ref.size()), got8(ref.size());
  attention_prefill_ref(shape, T, first, q.data(), q_token, q_head, k8.rows(), v8.rows(), capacity, ref8.data(),
                        rs.data());
  set_->attention_prefill(shape, T, first, q.data(), q_token, q_head, k8.rows(), v8.rows(), capacity, got8.data(),
                          scratch.data(), per_thread);
  expect_close(got8, ref8, tolerance(2e-5f), "prefill int8");
  std::vector<float> dref8(dref.size()), d8(dref.size());
  // The dot-product table's int8 decode also quantizes each query head like a cache row
  // (attention_neon.h): its reference sees the same rounded query.
  std::vector<float> q_decode(ql, ql + 4 * q_head);
  if (std::string_view(set_->name()) == "neon+dotprod")
    for (std::size_t h = 0; h < 4; ++h) testing::round_through_int8(q_decode.data() + h * q_head, shape.head_dim);
  attention_decode_ref(shape, q_decode.data(), q_head, k8.rows(), v8.rows(), capacity, first + T, dref8.data(),
                       rs.data());
  set_->attention_decode(shape, ql, q_head, k8.rows(), v8.rows(), capacity, first + T, d8.data(), scratch.data(),
                         per_thread);
  expect_close(d8, dref8, tolerance(2e-5f), "decode int8");
}

TEST_P(KernelSetTest, NormsSplitOverRowsMatchReference) {
  const int rows = 97, n = 40;
  const std::size_t stride = 45;
  auto x = normal_vector(static_cast<std::size_t>(rows) * stride, 7), z = normal_vector(x.size(), 8), w = normal_vector(static_cast<std::size_t>(n), 9);
  std::vector<float> ref(x.size()), got(x.size());
  rmsnorm_ref(x.data(), w.data(), rows, n, stride, 1e-6f, ref.data());
  set_->rmsnorm(x.data(), w.data(), rows, n, stride, 1e-6f, got.data());
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < n; ++i) {
      const std::size_t at = static_cast<std::size_t>(r) * stride + static_cast<std::size_t>(i);
      ASSERT_NEAR(got[at], ref[at], 1e-5f * (1 + std::fabs(ref[at])));
    }
  rmsnorm_gated_ref(x.data(), z.data(), w.data(), rows, n, stride, 1e-6f, ref.data());
  set_->rmsnorm_gated(x.data(), z.data(), w.data(), rows, n, stride, 1e-6f, got.data());
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < n; ++i) {
      const std::size_t at = static_cast<std::size_t>(r) * stride + static_cast<std::size_t>(i);
      ASSERT_NEAR(got[at], ref[at], 1e-5f * (1 + std::fabs(ref[at])));
    }
}

TEST_P(KernelSetTest, ConvSplitOverChannelsMatchesReference) {
  const int T = 37, C = 1000, K = 4;  // T*C large enough to be split
  const auto x = normal_vector(static_cast<std::size_t>(T * C), 10), w = normal_vector(static_cast<std::size_t>(C * K), 11, 0.5f);
  auto s_ref = normal_vector(static_cast<std::size_t>((K - 1) * C), 12), s_got = s_ref;
  std::vector<float> ref(x.size()), got(x.size());
  causal_conv1d_silu_ref(x.data(), T, C, w.data(), K, s_ref.data(), ref.data());
  set_->causal_conv1d_silu(x.data(), T, C, w.data(), K, s_got.data(), got.data());
  expect_close(got, ref, tolerance(2e-6f), "conv");
  expect_close(s_got, s_ref, 0.0f, "conv state");
  std::vector<float> g = normal_vector(5000, 13, 4.0f), u = normal_vector(5000, 14), o_ref(5000), o_got(5000);
  swiglu_ref(g.data(), u.data(), g.size(), o_ref.data());
  set_->swiglu(g.data(), u.data(), g.size(), o_got.data());
  expect_close(o_got, o_ref, 2e-6f, "swiglu");
}

INSTANTIATE_TEST_SUITE_P(Tiers, KernelSetTest,
                         ::testing::Values(Config{KernelTier::kReference, 1}, Config{KernelTier::kReference, 3},
                                           Config{KernelTier::kVector, 1}, Config{KernelTier::kVector, 3},
                                           Config{KernelTier::kNeon, 1}, Config{KernelTier::kNeon, 3}));

TEST(KernelSet, SelectsTheFastestTierThisCpuHas) {
  auto f = detect_cpu_features();
  ASSERT_TRUE(f.ok());
  const KernelSet s = KernelSet::select(*f, nullptr);
#if defined(__aarch64__)
  EXPECT_EQ(s.tier(), KernelTier::kNeon);
  // The dot-product table exactly when cpuinfo says SDOT is there (qemu -cpu cortex-a76: yes,
  // cortex-a72: no).
  EXPECT_STREQ(s.name(), f->dotprod ? "neon+dotprod" : "neon");
#else
  EXPECT_EQ(s.tier(), KernelTier::kVector);
  EXPECT_EQ(KernelSet::select(*f, nullptr, KernelTier::kNeon).tier(), KernelTier::kVector);  // none here
#endif
  EXPECT_EQ(KernelSet::select(*f, nullptr, KernelTier::kReference).tier(), KernelTier::kReference);
}

// ---- the kernel choice ----

CpuFeatures features_with(bool neon, bool dotprod) {
  CpuFeatures f;
  f.neon = neon;
  f.dotprod = dotprod;
  return f;
}

TEST(KernelTiers, AreListedFastestFirstAndEndWithTheCompleteReference) {
  std::vector<std::string> names;
  for (const KernelTierEntry& e : kernel_tiers()) names.emplace_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"neon+dotprod", "neon", "vector", "reference"}));
  const KernelTierEntry& last = kernel_tiers().back();
  EXPECT_EQ(last.tier, KernelTier::kReference);
  EXPECT_TRUE(last.runs_on(CpuFeatures{}));
  ASSERT_NE(last.declared_table(), nullptr);
  EXPECT_EQ(missing_entries(*last.declared_table()), "");
}

TEST(KernelTiers, SelectionTakesTheFirstEntryTheCpuRuns) {
  const auto selected = [](const CpuFeatures& f, std::optional<KernelTier> force = std::nullopt) {
    return std::string(KernelSet::select(f, nullptr, force).name());
  };
#if defined(__aarch64__)
  EXPECT_EQ(selected(features_with(true, true)), "neon+dotprod");
  EXPECT_EQ(selected(features_with(true, false)), "neon");
  EXPECT_EQ(selected(features_with(false, false)), "vector");
  EXPECT_EQ(selected(features_with(true, true), KernelTier::kNeon), "neon+dotprod");
  EXPECT_EQ(selected(features_with(true, true), KernelTier::kVector), "vector");
  EXPECT_EQ(selected(features_with(false, false), KernelTier::kNeon), "vector");  // the next one it runs
#else
  // No NEON tables in this build, whatever the features say.
  EXPECT_EQ(selected(features_with(true, true)), "vector");
  EXPECT_EQ(selected(features_with(true, true), KernelTier::kNeon), "vector");
  EXPECT_EQ(selected(features_with(false, false)), "vector");
#endif
  EXPECT_EQ(selected(features_with(true, true), KernelTier::kReference), "reference");
  EXPECT_EQ(selected(features_with(false, false), KernelTier::kReference), "reference");
}

TEST(KernelTiers, EverySelectableTableIsComplete) {
  std::vector<CpuFeatures> cpus = {features_with(false, false), features_with(true, false), features_with(true, true)};
  auto detected = detect_cpu_features();
  ASSERT_TRUE(detected.ok());
  cpus.push_back(*detected);
  for (const CpuFeatures& f : cpus)
    for (std::optional<KernelTier> force : {std::optional<KernelTier>{}, std::optional{KernelTier::kReference},
                                            std::optional{KernelTier::kVector}, std::optional{KernelTier::kNeon}}) {
      const KernelSet s = KernelSet::select(f, nullptr, force);
      EXPECT_EQ(missing_entries(s.table()), "") << s.name() << " on " << f.summary();
    }
}

void not_a_real_rmsnorm(const float*, const float*, int, int, std::size_t, float, float*) {}

TEST(KernelTiers, LeftOutEntriesComeFromTheTierBelow) {
  const KernelTable& reference = *reference_kernel_table();
  // complete_with keeps what a tier names and fills only what it leaves out.
  const KernelTable declared{.rmsnorm = not_a_real_rmsnorm};
  EXPECT_NE(missing_entries(declared).find("swiglu"), std::string::npos);
  EXPECT_EQ(missing_entries(declared).find("rmsnorm "), std::string::npos);
  const KernelTable completed = complete_with(declared, reference);
  EXPECT_EQ(missing_entries(completed), "");
  EXPECT_EQ(completed.rmsnorm, &not_a_real_rmsnorm);
  EXPECT_EQ(completed.swiglu, reference.swiglu);
  EXPECT_EQ(completed.attention_prefill_head_i8, reference.attention_prefill_head_i8);

  // The vector table leaves the DeltaNet gates and rope to the reference.
  const KernelSet vector = KernelSet::select(features_with(false, false), nullptr, KernelTier::kVector);
  EXPECT_EQ(vector.table().gated_delta_gates, reference.gated_delta_gates);
  EXPECT_EQ(vector.table().rope_apply, reference.rope_apply);
  EXPECT_EQ(vector.table().rmsnorm, vector_kernel_table()->rmsnorm);
#if defined(__aarch64__)
  // neon+dotprod names only its int8 decode: the rest is neon's, and neon's gates the reference's.
  const KernelSet dotprod = KernelSet::select(features_with(true, true), nullptr);
  ASSERT_STREQ(dotprod.name(), "neon+dotprod");
  EXPECT_EQ(dotprod.table().attention_decode_head_i8, neon_dotprod_kernel_table()->attention_decode_head_i8);
  EXPECT_EQ(dotprod.table().attention_prefill_head_i8, neon_kernel_table()->attention_prefill_head_i8);
  EXPECT_EQ(dotprod.table().rmsnorm, neon_kernel_table()->rmsnorm);
  EXPECT_EQ(dotprod.table().gated_delta_gates, reference.gated_delta_gates);
#endif
}

}  // namespace
}  // namespace linnet::kernels
