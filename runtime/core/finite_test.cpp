#include "runtime/core/finite.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace linnet {
namespace {

TEST(FiniteTest, FindsTheFirstNanOrInfinityAnywhere) {
  std::vector<float> v(1000, 1.5f);
  EXPECT_EQ(first_non_finite(std::span<const float>(v)), v.size());
  EXPECT_EQ(first_non_finite(std::span<const float>()), 0u);
  // Every position (block boundaries included), each kind of non-finite value.
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity()}) {
    for (std::size_t at : {std::size_t{0}, std::size_t{255}, std::size_t{256}, std::size_t{999}}) {
      std::vector<float> w = v;
      w[at] = bad;
      if (at < 999) w[999] = bad;  // a later one does not hide the first
      EXPECT_EQ(first_non_finite(std::span<const float>(w)), at);
    }
  }
  // The largest finite values and denormals are finite.
  v[3] = std::numeric_limits<float>::max();
  v[4] = -std::numeric_limits<float>::max();
  v[5] = std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(first_non_finite(std::span<const float>(v)), v.size());
}

TEST(FiniteTest, DoublesAndNames) {
  std::vector<double> v = {0.25, std::numeric_limits<double>::max(), -1e300};
  EXPECT_EQ(first_non_finite(std::span<const double>(v)), 3u);
  v.push_back(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(first_non_finite(std::span<const double>(v)), 3u);
  EXPECT_EQ(non_finite_name(v[3]), "-inf");
  EXPECT_EQ(non_finite_name(std::numeric_limits<double>::quiet_NaN()), "nan");
  EXPECT_EQ(non_finite_name(std::numeric_limits<double>::infinity()), "inf");
}

}  // namespace
}  // namespace linnet
