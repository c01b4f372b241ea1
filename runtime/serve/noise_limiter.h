// Keeps line noise from filling the link with error lines. Every line the server cannot
// read at all (not JSON, over the length limit, no readable id) would otherwise draw a
// ~90-byte error line: a stream of 2-byte garbage lines on a UART (a loose wire, a wrong
// baud rate) made the server send 45 times the bytes it received.
//
// A token bucket: up to `burst` such errors are answered at once, then one per `interval`.
// Lines beyond that are counted instead of answered; the count goes out in one summary
// line when the bucket has a token again (at most one line per interval while the noise
// lasts, so the reply traffic is bounded whatever the input), or at once when a readable
// request arrives (take_pending). A person typing one bad command after a quiet moment
// always gets its error at once: the bucket is full then.
//
// Errors about a request with a readable id are never limited (a client waits for each
// of its final lines), and line timeouts need `line_timeout` of silence each, so they
// cannot come in a flood; neither goes through here. Reader thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace linnet::serve {

struct NoiseLimitOptions {
  std::size_t burst = 4;                     // errors answered at once after a quiet period
  std::chrono::milliseconds interval{1000};  // then one error (or summary) per interval
};

class NoiseLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit NoiseLimiter(NoiseLimitOptions options, Clock::time_point now = Clock::now());

  // An unreadable line at `now`: true = answer it now; false = counted, for a summary.
  // Never true while a count is pending (the summary goes first).
  bool admit(Clock::time_point now);
  // The lines counted since the last answer when a summary may go out at `now` (it takes a
  // token), else 0. Resets the count it returns.
  std::uint64_t take_summary(Clock::time_point now);
  // The count pending, to go out now whatever the bucket holds (a readable request
  // arrived: the noise is over). Resets it.
  std::uint64_t take_pending();
  // When take_summary() will have something: Clock::time_point::max() when nothing is
  // pending.
  Clock::time_point summary_due() const;

  std::uint64_t pending() const { return pending_; }

 private:
  void refill(Clock::time_point now);

  NoiseLimitOptions options_;
  std::size_t tokens_;
  Clock::time_point last_refill_;
  std::uint64_t pending_ = 0;
};

}  // namespace linnet::serve
