// Vocabulary of the serial line protocol (docs/serial-protocol.md): request ids, the
// error codes a response can carry, and the fixed limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace linnet::serve {

inline constexpr int kProtocolVersion = 1;

// Limits a request is checked against (the line length limit is a server option).
inline constexpr std::size_t kDefaultMaxLineBytes = 64 * 1024;
inline constexpr std::size_t kMinMaxLineBytes = 1024;
inline constexpr std::size_t kMaxIdStringBytes = 64;
inline constexpr std::size_t kMaxLabels = 64;
inline constexpr std::size_t kMaxLabelBytes = 256;
inline constexpr std::size_t kMaxStopStrings = 8;
inline constexpr std::size_t kMaxStopStringBytes = 64;
inline constexpr std::uint32_t kMaxGenerateTokens = 32768;
inline constexpr std::size_t kMaxOtaChunkBytes = 16 * 1024;

// A request's id, echoed in every line that answers it: a JSON integer (int64) or a
// string of 1..kMaxIdStringBytes bytes. Empty (JSON null) only in errors about lines
// whose id could not be read.
class RequestId {
 public:
  RequestId() = default;
  static RequestId number(std::int64_t value) { return RequestId(value); }
  static RequestId text(std::string value) { return RequestId(std::move(value)); }

  bool empty() const { return std::holds_alternative<std::monostate>(value_); }
  bool operator==(const RequestId&) const = default;

  nlohmann::ordered_json to_json() const;
  std::string to_string() const;  // for messages: 7, "abc", null

 private:
  explicit RequestId(std::int64_t v) : value_(v) {}
  explicit RequestId(std::string v) : value_(std::move(v)) {}
  std::variant<std::monostate, std::int64_t, std::string> value_;
};

enum class ProtocolError : std::uint8_t {
  kLineTooLong,     // the line exceeded the length limit and was discarded
  kLineTimeout,     // a partial line was followed by silence and was discarded
  kUnanswered,      // summary: this many unreadable lines got no error of their own (noise limit)
  kBadJson,         // the line is not JSON
  kBadRequest,      // JSON, but a field is missing, mistyped or out of range
  kUnknownCommand,  // "cmd" names no command
  kBusy,            // the queue is full (or an OTA commit runs); retry later
  kCancelled,       // the request was cancelled before it produced a result
  kNotFound,        // cancel: no such request
  kUnsupported,     // the server has no such facility (e.g. no OTA agent)
  kChecksum,        // an OTA chunk's CRC-32 does not match its data
  kBackend,         // the model failed to answer
  kNumeric,         // the model's output was NaN or infinite (damaged weights): no answer
  kOta,             // the OTA agent refused (message says why)
  kShuttingDown,    // the server is stopping; the request was not run
  kInternal,        // a bug
};

std::string_view protocol_error_name(ProtocolError error);

}  // namespace linnet::serve
