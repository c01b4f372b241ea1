#include "serial_client.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace linnet::client {
namespace {

Error io_error(const std::string& what) { return Error(ErrorCode::kIo, what + ": " + std::strerror(errno)); }

// Ids start from the clock (milliseconds) and the process id, so answers to an earlier
// client's requests (still queued on the device) are never taken for ours, and two
// clients started together do not collide.
std::int64_t first_request_id() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return static_cast<std::int64_t>(ms % 1000000000000) * 100 + ::getpid() % 100;
}

}  // namespace

SerialClient::SerialClient(serve::Link link) : link_(std::move(link)), next_id_(first_request_id()) {}

Result<SerialClient> SerialClient::open(const std::string& port, const serve::SerialConfig& config) {
  return over(LINNET_TRY(serve::Link::open_serial(port, config)));
}

Result<SerialClient> SerialClient::over(serve::Link link) {
  SerialClient client(std::move(link));
  // End whatever partial line an earlier client left in the server's buffer.
  LINNET_TRY(client.send_line("\n"));
  return client;
}

Status SerialClient::send_line(const std::string& line) {
  std::size_t done = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (done < line.size()) {
    const ssize_t n = ::write(link_.write_fd(), line.data() + done, line.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return io_error("write " + link_.name());
    if (std::chrono::steady_clock::now() > deadline) {
      return Error(ErrorCode::kIo, "write " + link_.name() + ": the line does not take data (flow control?)");
    }
    pollfd p{link_.write_fd(), POLLOUT, 0};
    ::poll(&p, 1, 100);
  }
  return ok_status();
}

Result<std::optional<std::string>> SerialClient::read_line(std::chrono::steady_clock::time_point deadline,
                                                           int interrupt_fd, bool& interrupted) {
  for (;;) {
    const auto nl = buffer_.find_first_of("\n");
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return std::optional<std::string>(std::move(line));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::optional<std::string>();
    pollfd fds[2] = {{link_.read_fd(), POLLIN, 0}, {interrupt_fd, POLLIN, 0}};
    const int r = ::poll(fds, interrupt_fd >= 0 ? 2 : 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return io_error("poll");
    if (r > 0 && interrupt_fd >= 0 && (fds[1].revents & POLLIN) != 0) {
      interrupted = true;
      return std::optional<std::string>();
    }
    if (r == 0) continue;
    char buf[4096];
    const ssize_t n = ::read(link_.read_fd(), buf, sizeof buf);
    if (n > 0) {
      buffer_.append(buf, static_cast<std::size_t>(n));
      if (buffer_.size() > (1u << 20)) buffer_.clear();  // no newline in 1 MiB: noise
    } else if (n == 0) {
      return Error(ErrorCode::kIo, link_.name() + ": end of input");
    } else if (errno != EAGAIN && errno != EINTR) {
      return io_error("read " + link_.name());
    }
  }
}

Result<Json> SerialClient::call(Json request, const CallOptions& options) {
  const Json id = next_id_++;
  request["id"] = id;
  LINNET_TRY(send_line(request.dump() + "\n"));
  bool cancel_sent = false;
  auto deadline = std::chrono::steady_clock::now() + options.idle_timeout;
  for (;;) {
    bool interrupted = false;
    auto line = LINNET_TRY(read_line(deadline, cancel_sent ? -1 : options.interrupt_fd, interrupted));
    if (interrupted) {
      // Our own cancel gets its own id; its answer is skipped below like any other line.
      Json cancel = {{"id", next_id_++}, {"cmd", "cancel"}, {"target", id}};
      LINNET_TRY(send_line(cancel.dump() + "\n"));
      cancel_sent = true;
      continue;
    }
    if (!line) {
      return Error(ErrorCode::kIo, "no answer to request " + id.dump() + " within " +
                                       std::to_string(options.idle_timeout.count()) + " ms");
    }
    Json j = Json::parse(*line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("id") || j["id"] != id) continue;
    deadline = std::chrono::steady_clock::now() + options.idle_timeout;
    if (j.contains("ok")) return j;
    if (options.on_event) options.on_event(j);
  }
}

Result<Json> SerialClient::result_of(const Json& final_line) {
  if (final_line.value("ok", false)) return final_line.value("result", Json::object());
  const Json error = final_line.value("error", Json::object());
  return Error(ErrorCode::kInvalidArgument,
               error.value("code", std::string("?")) + ": " + error.value("message", std::string("(no message)")));
}

}  // namespace linnet::client
