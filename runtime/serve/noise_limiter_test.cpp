#include "runtime/serve/noise_limiter.h"

#include <gtest/gtest.h>

namespace linnet::serve {
namespace {

using namespace std::chrono_literals;
using Clock = NoiseLimiter::Clock;

TEST(NoiseLimiter, ABurstIsAnsweredThenCountedThenSummarisedOncePerInterval) {
  const Clock::time_point t0{};
  NoiseLimiter limiter({.burst = 3, .interval = 1000ms}, t0);
  EXPECT_EQ(limiter.summary_due(), Clock::time_point::max());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit(t0)) << i;
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(limiter.admit(t0 + 1ms));
  EXPECT_EQ(limiter.pending(), 100u);
  EXPECT_EQ(limiter.take_summary(t0 + 999ms), 0u);  // no token yet
  EXPECT_EQ(limiter.summary_due(), t0 + 1000ms);
  EXPECT_EQ(limiter.take_summary(t0 + 1000ms), 100u);
  EXPECT_EQ(limiter.pending(), 0u);
  // Noise goes on: one summary per interval, never an individual answer in between.
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(limiter.admit(t0 + 1500ms));
  EXPECT_EQ(limiter.take_summary(t0 + 1999ms), 0u);
  EXPECT_EQ(limiter.take_summary(t0 + 2000ms), 50u);
}

TEST(NoiseLimiter, AfterAQuietPeriodAnErrorIsAnsweredAtOnce) {
  const Clock::time_point t0{};
  NoiseLimiter limiter({.burst = 2, .interval = 500ms}, t0);
  EXPECT_TRUE(limiter.admit(t0));
  EXPECT_TRUE(limiter.admit(t0));
  EXPECT_FALSE(limiter.admit(t0));
  EXPECT_EQ(limiter.take_pending(), 1u);  // a readable request arrived: summary at once
  EXPECT_FALSE(limiter.admit(t0 + 100ms));  // still no token
  EXPECT_EQ(limiter.take_summary(t0 + 500ms), 1u);
  // A person typing one bad command a few seconds later: answered at once, twice.
  EXPECT_TRUE(limiter.admit(t0 + 5s));
  EXPECT_TRUE(limiter.admit(t0 + 5s + 10ms));
}

}  // namespace
}  // namespace linnet::serve
