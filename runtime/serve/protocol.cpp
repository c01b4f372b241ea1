#include "runtime/serve/protocol.h"

namespace linnet::serve {

nlohmann::ordered_json RequestId::to_json() const {
  if (const auto* n = std::get_if<std::int64_t>(&value_)) return *n;
  if (const auto* s = std::get_if<std::string>(&value_)) return *s;
  return nullptr;
}

std::string RequestId::to_string() const {
  return to_json().dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string_view protocol_error_name(ProtocolError error) {
  switch (error) {
    case ProtocolError::kLineTooLong: return "line_too_long";
    case ProtocolError::kLineTimeout: return "line_timeout";
    case ProtocolError::kUnanswered: return "unanswered_lines";
    case ProtocolError::kBadJson: return "bad_json";
    case ProtocolError::kBadRequest: return "bad_request";
    case ProtocolError::kUnknownCommand: return "unknown_command";
    case ProtocolError::kBusy: return "busy";
    case ProtocolError::kCancelled: return "cancelled";
    case ProtocolError::kNotFound: return "not_found";
    case ProtocolError::kUnsupported: return "unsupported";
    case ProtocolError::kChecksum: return "checksum";
    case ProtocolError::kBackend: return "backend";
    case ProtocolError::kNumeric: return "numeric";
    case ProtocolError::kOta: return "ota";
    case ProtocolError::kShuttingDown: return "shutting_down";
    case ProtocolError::kInternal: return "internal";
  }
  return "internal";
}

}  // namespace linnet::serve
