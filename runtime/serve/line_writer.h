// The one place response lines go out. Lines from the reader thread (immediate
// answers) and the worker thread (results, token streams) are serialised here, so a
// line is never interleaved with another.
//
// A write gives up when the link takes no byte for write_timeout. A client that
// stops reading (or holds CTS low) therefore cannot wedge the server: the write gives
// up, the caller learns the link is stalled (a generation is then cancelled), and the
// next write tries again without waiting until one succeeds. A line cut short by a
// stall is terminated with '\n' before the next line, so the client can resynchronise.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

namespace linnet::serve {

enum class WriteOutcome : std::uint8_t {
  kWritten,  // the whole line went out
  kStalled,  // the link did not take it in time; nothing or part of it was written
  kFailed,   // the link is gone (EIO, EPIPE, no fd)
};

class LineWriter {
 public:
  explicit LineWriter(std::chrono::milliseconds write_timeout) : write_timeout_(write_timeout) {}

  // Points the writer at a new link (after a reconnect) or at none (fd -1).
  void attach(int fd);

  WriteOutcome write_line(std::string_view line);

  bool failed() const;

 private:
  WriteOutcome write_all(std::string_view bytes, std::chrono::milliseconds timeout);

  const std::chrono::milliseconds write_timeout_;
  mutable std::mutex mutex_;
  int fd_ = -1;
  bool stalled_ = false;        // the last write timed out: do not wait on the next one
  bool line_cut_ = false;       // a partial line is out there; start the next with '\n'
  bool failed_ = false;
};

}  // namespace linnet::serve
