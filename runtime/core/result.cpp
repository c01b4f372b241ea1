#include "runtime/core/result.h"

namespace linnet {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kOutOfRange: return "out of range";
    case ErrorCode::kFailedPrecondition: return "failed precondition";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kCorrupt: return "corrupt input";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kVerification: return "verification failed";
    case ErrorCode::kNumeric: return "non-finite numbers";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kOutOfMemory: return "out of memory";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kNoSpace: return "no space left";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

}  // namespace linnet
