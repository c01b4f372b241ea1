#include "runtime/serve/noise_limiter.h"

#include <algorithm>
#include <utility>

namespace linnet::serve {

NoiseLimiter::NoiseLimiter(NoiseLimitOptions options, Clock::time_point now)
    : options_(options), tokens_(options.burst), last_refill_(now) {
  if (options_.interval.count() <= 0) options_.interval = std::chrono::milliseconds(1);
}

void NoiseLimiter::refill(Clock::time_point now) {
  if (tokens_ >= options_.burst) {
    last_refill_ = now;
    return;
  }
  if (now <= last_refill_) return;
  const std::int64_t earned = (now - last_refill_) / options_.interval;
  if (earned <= 0) return;
  const auto gained = static_cast<std::uint64_t>(earned);
  tokens_ = static_cast<std::size_t>(std::min<std::uint64_t>(options_.burst, tokens_ + gained));
  if (tokens_ >= options_.burst) {
    last_refill_ = now;
  } else {
    last_refill_ += earned * options_.interval;
  }
}

bool NoiseLimiter::admit(Clock::time_point now) {
  refill(now);
  if (pending_ == 0 && tokens_ > 0) {
    --tokens_;
    return true;
  }
  ++pending_;
  return false;
}

std::uint64_t NoiseLimiter::take_summary(Clock::time_point now) {
  if (pending_ == 0) return 0;
  refill(now);
  if (tokens_ == 0) return 0;
  --tokens_;
  return std::exchange(pending_, 0);
}

std::uint64_t NoiseLimiter::take_pending() { return std::exchange(pending_, 0); }

NoiseLimiter::Clock::time_point NoiseLimiter::summary_due() const {
  if (pending_ == 0) return Clock::time_point::max();
  if (tokens_ > 0) return last_refill_;  // now
  return last_refill_ + options_.interval;
}

}  // namespace linnet::serve
