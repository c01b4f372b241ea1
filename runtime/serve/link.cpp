#include "runtime/serve/link.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace linnet::serve {
namespace {

Error io_error(const std::string& what) {
  return Error(ErrorCode::kIo, what + ": " + std::strerror(errno));
}

Result<int> set_nonblocking(int fd, const std::string& what) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return io_error(what);
  return flags;
}

}  // namespace

std::optional<speed_t> baud_to_speed(std::uint32_t baud) {
  switch (baud) {
    case 1200: return B1200;
    case 2400: return B2400;
    case 4800: return B4800;
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 500000: return B500000;
    case 576000: return B576000;
    case 921600: return B921600;
    case 1000000: return B1000000;
    case 1152000: return B1152000;
    case 1500000: return B1500000;
    case 2000000: return B2000000;
    case 2500000: return B2500000;
    case 3000000: return B3000000;
    case 3500000: return B3500000;
    case 4000000: return B4000000;
    default: return std::nullopt;
  }
}

Status configure_termios(termios& tio, const SerialConfig& config) {
  const auto speed = baud_to_speed(config.baud);
  if (!speed) {
    return Error(ErrorCode::kInvalidArgument,
                 "unsupported baud rate " + std::to_string(config.baud) +
                     " (standard rates: 9600, 19200, 38400, 57600, 115200, 230400, 460800, "
                     "921600, 1000000, 1500000, 2000000, 3000000, 4000000, ...)");
  }
  cfmakeraw(&tio);  // no echo, no canonical mode, no ISIG, no CR/NL mapping, CS8
  tio.c_iflag &= ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | IXON | IXOFF | IXANY);
  tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | CSTOPB | CRTSCTS | HUPCL);
  tio.c_cflag |= CS8 | CREAD | CLOCAL;
  if (config.rtscts) tio.c_cflag |= CRTSCTS;
  tio.c_cc[VMIN] = 1;
  tio.c_cc[VTIME] = 0;
  if (cfsetispeed(&tio, *speed) != 0 || cfsetospeed(&tio, *speed) != 0) {
    return Error(ErrorCode::kInvalidArgument, "cannot set baud rate " + std::to_string(config.baud));
  }
  return ok_status();
}

Result<Link> Link::open_serial(const std::string& path, const SerialConfig& config) {
  termios tio{};
  if (!baud_to_speed(config.baud)) {
    LINNET_TRY(configure_termios(tio, config));  // for its message
  }
  Link link;
  link.name_ = path;
  const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return io_error("open " + path);
  link.read_fd_ = link.write_fd_ = fd;
  link.owns_fd_ = true;
  if (!isatty(fd)) return Error(ErrorCode::kInvalidArgument, path + " is not a terminal device");
  // Exclusive: a getty or a second server opening the port would steal bytes.
  if (ioctl(fd, TIOCEXCL) != 0) return io_error("TIOCEXCL " + path);
  if (tcgetattr(fd, &tio) != 0) return io_error("tcgetattr " + path);
  link.saved_tio_ = tio;
  LINNET_TRY(configure_termios(tio, config));
  if (tcsetattr(fd, TCSANOW, &tio) != 0) return io_error("tcsetattr " + path);
  // tcsetattr succeeds if any one setting took; check that the ones we rely on did.
  termios check{};
  if (tcgetattr(fd, &check) != 0) return io_error("tcgetattr " + path);
  if ((check.c_lflag & (ICANON | ECHO | ISIG)) != 0 || (check.c_cflag & CSIZE) != CS8 ||
      (check.c_cflag & PARENB) != 0) {
    return Error(ErrorCode::kIo, path + ": the driver refused raw 8N1 mode");
  }
  if (config.rtscts && (check.c_cflag & CRTSCTS) == 0) {
    return Error(ErrorCode::kUnsupported, path + ": the driver refused RTS/CTS flow control");
  }
  tcflush(fd, TCIOFLUSH);  // bytes from before we owned the port are not requests
  return link;
}

Result<Link> Link::stdio() {
  Link link;
  link.name_ = "stdio";
  link.read_fd_ = STDIN_FILENO;
  link.write_fd_ = STDOUT_FILENO;
  link.read_flags_ = LINNET_TRY(set_nonblocking(STDIN_FILENO, "stdin"));
  link.write_flags_ = LINNET_TRY(set_nonblocking(STDOUT_FILENO, "stdout"));
  return link;
}

Result<Link> Link::borrow(int read_fd, int write_fd) {
  Link link;
  link.name_ = "fd " + std::to_string(read_fd) + "/" + std::to_string(write_fd);
  link.read_fd_ = read_fd;
  link.write_fd_ = write_fd;
  link.read_flags_ = LINNET_TRY(set_nonblocking(read_fd, link.name_));
  link.write_flags_ = LINNET_TRY(set_nonblocking(write_fd, link.name_));
  return link;
}

Link::Link(Link&& other) noexcept { *this = std::move(other); }

Link& Link::operator=(Link&& other) noexcept {
  if (this != &other) {
    close();
    read_fd_ = std::exchange(other.read_fd_, -1);
    write_fd_ = std::exchange(other.write_fd_, -1);
    owns_fd_ = std::exchange(other.owns_fd_, false);
    read_flags_ = std::exchange(other.read_flags_, -1);
    write_flags_ = std::exchange(other.write_flags_, -1);
    saved_tio_ = std::exchange(other.saved_tio_, std::nullopt);
    name_ = std::move(other.name_);
  }
  return *this;
}

Link::~Link() { close(); }

void Link::close() {
  if (owns_fd_ && read_fd_ >= 0) {
    // Unsent output would make close() wait for the driver to drain it (up to 30 s on
    // a UART whose peer holds CTS low).
    tcflush(read_fd_, TCIOFLUSH);
    if (saved_tio_) tcsetattr(read_fd_, TCSANOW, &*saved_tio_);
    ::close(read_fd_);
  } else {
    if (read_fd_ >= 0 && read_flags_ >= 0) fcntl(read_fd_, F_SETFL, read_flags_);
    if (write_fd_ >= 0 && write_flags_ >= 0) fcntl(write_fd_, F_SETFL, write_flags_);
  }
  read_fd_ = write_fd_ = -1;
  owns_fd_ = false;
  read_flags_ = write_flags_ = -1;
  saved_tio_.reset();
}

}  // namespace linnet::serve
