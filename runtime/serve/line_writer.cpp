#include "runtime/serve/line_writer.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace linnet::serve {

void LineWriter::attach(int fd) {
  std::lock_guard lock(mutex_);
  fd_ = fd;
  stalled_ = false;
  line_cut_ = false;
  failed_ = fd < 0;
}

bool LineWriter::failed() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

WriteOutcome LineWriter::write_line(std::string_view line) {
  std::lock_guard lock(mutex_);
  if (fd_ < 0 || failed_) return WriteOutcome::kFailed;
  const std::chrono::milliseconds timeout = stalled_ ? std::chrono::milliseconds(0) : write_timeout_;
  if (line_cut_) {
    const WriteOutcome o = write_all("\n", timeout);
    if (o != WriteOutcome::kWritten) return o;
    line_cut_ = false;
  }
  const WriteOutcome outcome = write_all(line, timeout);
  stalled_ = outcome == WriteOutcome::kStalled;
  return outcome;
}

// Writes every byte, or gives up when the link takes nothing for `timeout` (a long line
// on a slow line is fine as long as it keeps draining). Caller holds mutex_.
WriteOutcome LineWriter::write_all(std::string_view bytes, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point deadline = Clock::now() + timeout;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      deadline = Clock::now() + timeout;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      failed_ = true;
      return WriteOutcome::kFailed;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd p{fd_, POLLOUT, 0};
    const int r = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
    if (r < 0 && errno == EINTR) continue;
    if (r > 0 && (p.revents & (POLLERR | POLLNVAL)) != 0) {
      failed_ = true;
      return WriteOutcome::kFailed;
    }
    if (r <= 0) {
      line_cut_ = line_cut_ || done > 0;
      return WriteOutcome::kStalled;
    }
  }
  return WriteOutcome::kWritten;
}

}  // namespace linnet::serve
