#include "runtime/serve/backend.h"

namespace linnet::serve {

std::string_view stop_reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::kEndOfTurn: return "end_of_turn";
    case StopReason::kMaxTokens: return "max_tokens";
    case StopReason::kStopString: return "stop_string";
    case StopReason::kContextFull: return "context_full";
    case StopReason::kCancelled: return "cancelled";
  }
  return "unknown";
}

}  // namespace linnet::serve
