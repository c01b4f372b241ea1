// Resident memory of this process from /proc/self/status (Linux): the one reader, for
// `linnet bench` (peak), the serial `info`/`status` (current) and the soak test.
#pragma once

#include <cstddef>

#include "runtime/core/result.h"

namespace linnet {

struct ResidentMemory {
  std::size_t current_bytes = 0;  // VmRSS
  std::size_t peak_bytes = 0;     // VmHWM: the high-water mark since start or the last reset
};

Result<ResidentMemory> read_resident_memory();

// Resets the high-water mark to the current resident size (writes "5" to
// /proc/self/clear_refs). False when the kernel does not allow it.
bool reset_peak_resident_memory();

}  // namespace linnet
