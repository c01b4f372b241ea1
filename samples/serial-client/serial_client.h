// Host side of the Linnet serial protocol (docs/serial-protocol.md): opens the port,
// numbers requests, and waits for each request's final line while handing its event
// lines (streamed tokens, "queued") to a callback. Lines for other ids and lines that
// are not JSON (noise, a line cut by a stall) are skipped, so a client can start on a
// line that already carries old traffic.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/core/result.h"
#include "runtime/serve/link.h"

namespace linnet::client {

// Ordered: results print in the server's field order.
using Json = nlohmann::ordered_json;
using namespace std::chrono_literals;

struct CallOptions {
  // Each event line for the request ({"id":..,"event":..}).
  std::function<void(const Json& event)> on_event;
  // Give up after this long without any line for the request.
  std::chrono::milliseconds idle_timeout = 60s;
  // Optional (borrowed) fd, e.g. a signalfd for SIGINT: when it becomes readable the
  // client sends `cancel` for the request (once) and keeps waiting for its final line.
  int interrupt_fd = -1;
};

class SerialClient {
 public:
  // Opens and configures a serial device (raw 8N1 at config.baud).
  static Result<SerialClient> open(const std::string& port, const serve::SerialConfig& config);
  // Talks over an already open link (stdin/stdout of a pipe, tests).
  static Result<SerialClient> over(serve::Link link);

  // Sends `request` (a JSON object with "cmd" and its fields; the id is added) and
  // returns its final line ({"id":..,"ok":true|false,...}). Errors: the port failed,
  // or no answer within idle_timeout (kIo).
  Result<Json> call(Json request, const CallOptions& options = {});

  // The final line's result, or its error as an Error (code kInvalidArgument for a
  // refused request) with the server's code and message.
  static Result<Json> result_of(const Json& final_line);

 private:
  explicit SerialClient(serve::Link link);
  Status send_line(const std::string& line);
  // The next complete line, or nullopt at the deadline; `interrupted` is set when the
  // interrupt fd fired.
  Result<std::optional<std::string>> read_line(std::chrono::steady_clock::time_point deadline,
                                               int interrupt_fd, bool& interrupted);

  serve::Link link_;
  std::string buffer_;
  std::int64_t next_id_;
};

}  // namespace linnet::client
