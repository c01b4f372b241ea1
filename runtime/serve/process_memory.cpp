#include "runtime/serve/process_memory.h"

#include <unistd.h>

#include <cstdio>

namespace linnet::serve {

std::optional<std::uint64_t> resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return std::nullopt;
  unsigned long long size_pages = 0, resident_pages = 0;
  const int n = std::fscanf(f, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(f);
  if (n != 2) return std::nullopt;
  const long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) return std::nullopt;
  return static_cast<std::uint64_t>(resident_pages) * static_cast<std::uint64_t>(page);
}

}  // namespace linnet::serve
