#include "kernels/xnnpack/xnn_context.h"

#include <string>

namespace linnet::kernels {

Result<XnnContext> XnnContext::create() {
  const xnn_status status = xnn_initialize(/*allocator=*/nullptr);
  if (status != xnn_status_success) {
    return Error(status == xnn_status_unsupported_hardware ? ErrorCode::kUnsupported : ErrorCode::kIo,
                 std::string("XNNPACK initialisation failed: ") + xnn_status_name(status) +
                     " (XNNPACK needs /proc and /sys to read the CPU's features)");
  }
  return XnnContext();
}

XnnContext& XnnContext::operator=(XnnContext&& other) noexcept {
  if (this != &other) {
    if (active_) xnn_deinitialize();
    active_ = other.active_;
    other.active_ = false;
  }
  return *this;
}

XnnContext::~XnnContext() {
  if (active_) xnn_deinitialize();
}

const char* xnn_status_name(xnn_status status) {
  switch (status) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "XNNPACK not initialised";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
    case xnn_status_reallocation_required: return "reallocation required";
    case xnn_status_deprecated: return "deprecated";
  }
  return "unknown status";
}

Status xnn_status_to(xnn_status status, std::string_view what) {
  if (status == xnn_status_success) return ok_status();
  ErrorCode code = ErrorCode::kInternal;
  switch (status) {
    case xnn_status_invalid_parameter: code = ErrorCode::kInvalidArgument; break;
    case xnn_status_invalid_state: code = ErrorCode::kFailedPrecondition; break;
    case xnn_status_unsupported_parameter:
    case xnn_status_unsupported_hardware: code = ErrorCode::kUnsupported; break;
    case xnn_status_out_of_memory: code = ErrorCode::kOutOfMemory; break;
    default: break;
  }
  return Error(code, std::string(what) + ": " + xnn_status_name(status));
}

}  // namespace linnet::kernels
