// Splits a byte stream from a serial line into request lines, surviving line noise.
//
// Rules (docs/serial-protocol.md, "Framing"):
//   - '\n' or '\r' ends a line ("\r\n" works: the empty line between is skipped).
//   - Lines that are empty or only spaces/tabs are skipped (a person pressing Enter).
//   - A line longer than max_line_bytes is discarded up to its terminator and reported
//     once (kOverlong), so the next line starts clean.
//   - NUL ends nothing but resets: the partial line is dropped silently. A UART
//     delivers a break condition as a NUL byte in raw mode, so a break resynchronises.
//   - Backspace (0x08) and DEL (0x7f) erase the previous character (a whole UTF-8
//     sequence), so a person typing in a raw terminal can correct mistakes.
//   - Silence after a partial line is the caller's to detect (it owns the clock): it
//     calls drop_partial() after the timeout.
// Pure logic, no I/O: the fuzz target and the tests drive it directly.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace linnet::serve {

struct FrameEvent {
  enum class Kind : unsigned char {
    kLine,      // `line` holds a complete line, without its terminator
    kOverlong,  // a line over the limit was discarded; `discarded_bytes` says how long
  };
  Kind kind = Kind::kLine;
  std::string line;
  std::size_t discarded_bytes = 0;
};

class LineFramer {
 public:
  explicit LineFramer(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

  // Consumes `bytes` (borrowed for the call), appending one event per finished line to
  // `events`.
  void feed(std::span<const char> bytes, std::vector<FrameEvent>& events);

  // True while a line has started but not ended (including an overlong one being
  // discarded).
  bool has_partial() const { return !line_.empty() || discarding_; }

  // Drops the partial line (after a timeout). Returns the number of bytes dropped.
  std::size_t drop_partial();

  std::size_t max_line_bytes() const { return max_line_bytes_; }

 private:
  void end_line(std::vector<FrameEvent>& events);
  void erase_last_character();

  std::size_t max_line_bytes_;
  std::string line_;               // bytes of the current line so far
  bool discarding_ = false;        // the current line went over the limit
  std::size_t discarded_bytes_ = 0;
};

}  // namespace linnet::serve
