// The byte channel the server talks over: a serial device it configures itself, the
// process's stdin/stdout, or (tests) any pair of file descriptors. Both fds are in
// non-blocking mode while the Link lives (the server waits with poll()), and a Link
// restores what it changed when it closes.
#pragma once

#include <termios.h>

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/core/result.h"

namespace linnet::serve {

struct SerialConfig {
  std::uint32_t baud = 115200;
  bool rtscts = false;  // hardware flow control
};

// The termios speed constant for a standard baud rate; nullopt for anything else
// (Linnet refuses a rate it cannot set exactly rather than silently picking another).
std::optional<speed_t> baud_to_speed(std::uint32_t baud);

// Applies Linnet's line settings to a termios: raw (no echo, no line editing, no
// signal characters, no CR/LF translation, breaks read as NUL), 8 data bits, no parity,
// 1 stop bit, receiver on, modem lines ignored (CLOCAL), RTS/CTS if asked, and the
// speed. Fails on an unsupported baud rate.
Status configure_termios(termios& tio, const SerialConfig& config);

class Link {
 public:
  // Opens and configures a serial device (a UART, a USB adapter, a pseudo-terminal),
  // exclusively (TIOCEXCL), and drops whatever was in its buffers.
  static Result<Link> open_serial(const std::string& path, const SerialConfig& config);

  // stdin for reading and stdout for writing, left as they are apart from O_NONBLOCK
  // (a terminal on stdin keeps its own line editing).
  static Result<Link> stdio();

  // Borrows two fds (tests); the caller keeps them open while the Link lives.
  static Result<Link> borrow(int read_fd, int write_fd);

  Link(Link&& other) noexcept;
  Link& operator=(Link&& other) noexcept;
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;
  ~Link();

  int read_fd() const { return read_fd_; }
  int write_fd() const { return write_fd_; }
  const std::string& name() const { return name_; }

 private:
  Link() = default;
  void close();

  int read_fd_ = -1;
  int write_fd_ = -1;
  bool owns_fd_ = false;            // open_serial: one fd for both directions, closed here
  int read_flags_ = -1;             // original fcntl flags to restore (borrowed fds)
  int write_flags_ = -1;
  std::optional<termios> saved_tio_;  // original settings of a serial device
  std::string name_;
};

}  // namespace linnet::serve
