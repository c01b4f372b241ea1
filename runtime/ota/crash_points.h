// Named crash points for fault injection: every durable write step of the OTA store
// calls `hit("step")` right after the step. Production code passes no CrashPoints
// (a null pointer) or an unarmed one; the fault harness (tests/faults/) arms one to
// kill the process with SIGKILL at the n-th hit, the closest a test can get to
// pulling the power cord at exactly that step. No global state: the object is
// owned by whoever runs the agent and passed in by pointer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace linnet::ota {

class CrashPoints {
 public:
  // Never crashes; counts hits (so a run can be traced).
  CrashPoints() = default;

  // Kills the process (SIGKILL) when the `n`-th hit (1-based) is reached.
  static CrashPoints kill_at_hit(std::uint64_t n);

  // Called for every hit before any crash decision, with the 1-based hit number and
  // the step name (the harness prints the trace of a clean run to learn all points).
  void set_observer(std::function<void(std::uint64_t hit, std::string_view step)> observer) {
    observer_ = std::move(observer);
  }

  // A durable write step just completed. Does not return when armed for this hit.
  void hit(std::string_view step);

  std::uint64_t hits() const { return hits_; }

 private:
  std::uint64_t kill_at_ = 0;  // 0: never
  std::uint64_t hits_ = 0;
  std::function<void(std::uint64_t, std::string_view)> observer_;
};

// Convenience for the many call sites that hold a possibly-null pointer.
inline void crash_point(CrashPoints* points, std::string_view step) {
  if (points != nullptr) points->hit(step);
}

}  // namespace linnet::ota
