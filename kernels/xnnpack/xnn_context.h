// XNNPACK's process-wide initialisation as an object: holding an XnnContext proves
// xnn_initialize succeeded, and every XNNPACK operator Linnet creates takes one. XNNPACK
// counts initialisations, so several contexts (several executors, tests) are fine.
#pragma once

#include <xnnpack.h>

#include <string_view>

#include "runtime/core/result.h"

namespace linnet::kernels {

class XnnContext {
 public:
  // Fails (kUnsupported) when XNNPACK rejects the CPU, or when it cannot read the CPU's
  // features (no /proc or /sys: kIo).
  static Result<XnnContext> create();

  XnnContext(XnnContext&& other) noexcept : active_(other.active_) { other.active_ = false; }
  XnnContext& operator=(XnnContext&& other) noexcept;
  XnnContext(const XnnContext&) = delete;
  XnnContext& operator=(const XnnContext&) = delete;
  ~XnnContext();

 private:
  XnnContext() : active_(true) {}
  bool active_ = false;
};

// Maps an XNNPACK status to a Linnet error "<what>: <status name>" (ok for success).
Status xnn_status_to(xnn_status status, std::string_view what);
const char* xnn_status_name(xnn_status status);

}  // namespace linnet::kernels
