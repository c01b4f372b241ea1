// Per-head portable attention against the reference (kernels/reference/attention_ref.h),
// f32, f16 and int8 caches, decode and blocked prefill with a prefix already in the cache.
#include "kernels/vec/attention_vec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/reference/attention_ref.h"
#include "kernels/reference/test_util.h"

namespace linnet::kernels {
namespace {

std::vector<float> rnd(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (float& f : v) f = d(rng);
  return v;
}

struct Case {
  int hd, first, T, capacity;
};

class AttentionVec : public ::testing::TestWithParam<Case> {};

TEST_P(AttentionVec, PrefillAndDecodeMatchReference) {
  const Case c = GetParam();
  const std::size_t hd = static_cast<std::size_t>(c.hd), cap = static_cast<std::size_t>(c.capacity);
  auto kc = rnd(cap * hd, 1), vc = rnd(cap * hd, 2);
  // f16 caches hold the rounded values; the reference sees the same rounded values.
  std::vector<Half> k16(kc.size()), v16(vc.size());
  for (std::size_t i = 0; i < kc.size(); ++i) {
    k16[i] = float_to_half(kc[i]);
    v16[i] = float_to_half(vc[i]);
  }
  std::vector<float> kr(kc.size()), vr(vc.size());
  for (std::size_t i = 0; i < kc.size(); ++i) {
    kr[i] = half_to_float(k16[i]);
    vr[i] = half_to_float(v16[i]);
  }
  const std::size_t q_stride = 2 * hd + 1;
  const auto q = rnd(static_cast<std::size_t>(c.T) * q_stride, 3);
  const AttentionShape one{1, 1, c.hd};
  for (int half = 0; half < 2; ++half) {
    const float* kref = half ? kr.data() : kc.data();
    const float* vref = half ? vr.data() : vc.data();
    std::vector<float> ref(static_cast<std::size_t>(c.T) * hd), got(ref.size());
    std::vector<float> rs(attention_prefill_scratch_floats(c.capacity));
    attention_prefill_ref(one, c.T, c.first, q.data(), q_stride, 0, kref, vref, c.capacity, ref.data(), rs.data());
    std::vector<float> s(attention_prefill_head_scratch_floats(c.first + c.T));
    if (half)
      attention_prefill_head_vec<Half>(c.hd, c.T, c.first, q.data(), q_stride, k16.data(), v16.data(), got.data(), hd,
                                       s.data());
    else
      attention_prefill_head_vec<float>(c.hd, c.T, c.first, q.data(), q_stride, kc.data(), vc.data(), got.data(), hd,
                                        s.data());
    for (std::size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(got[i], ref[i], 2e-5f) << "prefill half=" << half << " " << i;
    // Decode of the last query alone equals the prefill's last row.
    const int n = c.first + c.T;
    std::vector<float> dref(hd), dgot(hd), ds(static_cast<std::size_t>(n));
    const float* ql = q.data() + static_cast<std::size_t>(c.T - 1) * q_stride;
    attention_decode_ref(one, ql, 0, kref, vref, c.capacity, n, dref.data(), ds.data());
    if (half)
      attention_decode_head_vec<Half>(c.hd, ql, k16.data(), v16.data(), n, dgot.data(), ds.data());
    else
      attention_decode_head_vec<float>(c.hd, ql, kc.data(), vc.data(), n, dgot.data(), ds.data());
    for (std::size_t i = 0; i < hd; ++i) ASSERT_NEAR(dgot[i], dref[i], 2e-5f) << "decode half=" << half;
  }

  // int8 cache against the reference's int8 kernels on the same quantized rows.
  const testing::Int8Cache k8 = testing::quantize_rows(kc, c.hd), v8 = testing::quantize_rows(vc, c.hd);
  const AttentionShape one_head{1, 1, c.hd};
  std::vector<float> ref(static_cast<std::size_t>(c.T) * hd), got(ref.size());
  std::vector<float> rs(attention_prefill_scratch_floats(c.capacity));
  attention_prefill_ref(one_head, c.T, c.first, q.data(), q_stride, 0, k8.rows(), v8.rows(), c.capacity, ref.data(),
                        rs.data());
  std::vector<float> s(attention_prefill_head_scratch_floats(c.first + c.T));
  attention_prefill_head_i8_vec(c.hd, c.T, c.first, q.data(), q_stride, k8.rows(), v8.rows(), got.data(), hd, s.data());
  testing::expect_close(got, ref, 2e-5f, "prefill int8");
  const int n = c.first + c.T;
  const float* ql = q.data() + static_cast<std::size_t>(c.T - 1) * q_stride;
  std::vector<float> dref(hd), dgot(hd), ds(static_cast<std::size_t>(n));
  attention_decode_ref(one_head, ql, 0, k8.rows(), v8.rows(), c.capacity, n, dref.data(), ds.data());
  attention_decode_head_i8_vec(c.hd, ql, k8.rows(), v8.rows(), n, dgot.data(), ds.data());
  testing::expect_close(dgot, dref, 2e-5f, "decode int8");
}

INSTANTIATE_TEST_SUITE_P(Shapes, AttentionVec,
                         ::testing::Values(Case{8, 0, 1, 4}, Case{13, 0, 17, 40}, Case{64, 5, 33, 50},
                                           Case{256, 0, 70, 80}, Case{256, 100, 3, 110}, Case{24, 31, 16, 47}));

}  // namespace
}  // namespace linnet::kernels
