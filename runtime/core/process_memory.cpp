#include "runtime/core/process_memory.h"

#include <cstdio>
#include <cstring>

namespace linnet {

Result<ResidentMemory> read_resident_memory() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return Error(ErrorCode::kIo, "cannot read /proc/self/status");
  ResidentMemory m;
  bool rss = false, hwm = false;
  char line[256];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    unsigned long long kib = 0;
    if (std::sscanf(line, "VmRSS: %llu kB", &kib) == 1) {
      m.current_bytes = static_cast<std::size_t>(kib) * 1024;
      rss = true;
    } else if (std::sscanf(line, "VmHWM: %llu kB", &kib) == 1) {
      m.peak_bytes = static_cast<std::size_t>(kib) * 1024;
      hwm = true;
    }
  }
  std::fclose(f);
  if (!rss || !hwm) return Error(ErrorCode::kIo, "/proc/self/status has no VmRSS/VmHWM lines");
  return m;
}

bool reset_peak_resident_memory() {
  std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
  if (f == nullptr) return false;
  const bool ok = std::fputs("5", f) >= 0;
  return std::fclose(f) == 0 && ok;
}

}  // namespace linnet
