#include "runtime/ota/crash_points.h"

#include <signal.h>
#include <unistd.h>

namespace linnet::ota {

CrashPoints CrashPoints::kill_at_hit(std::uint64_t n) {
  CrashPoints points;
  points.kill_at_ = n;
  return points;
}

void CrashPoints::hit(std::string_view step) {
  ++hits_;
  if (observer_) observer_(hits_, step);
  if (kill_at_ != 0 && hits_ == kill_at_) {
    // SIGKILL cannot be caught: no destructors, no flushing, like a power cut
    // (except that the page cache survives; the store fsyncs before every step
    // it relies on, so that difference does not hide ordering bugs).
    ::kill(::getpid(), SIGKILL);
    ::_exit(137);  // not reached
  }
}

}  // namespace linnet::ota
