// An input held in an anonymous memory file (memfd), for fuzz targets whose parser takes a
// path: it is opened as /proc/self/fd/N, so no file system is touched. Closed on scope exit.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace linnet::fuzz {

class MemoryFile {
 public:
  MemoryFile(const char* name, const std::uint8_t* data, std::size_t size) : fd_(memfd_create(name, MFD_CLOEXEC)) {
    std::size_t written = 0;
    while (fd_ >= 0 && written < size) {
      const ssize_t n = write(fd_, data + written, size - written);
      if (n <= 0) break;
      written += static_cast<std::size_t>(n);
    }
    ok_ = fd_ >= 0 && written == size;
  }
  ~MemoryFile() {
    if (fd_ >= 0) close(fd_);
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  bool ok() const { return ok_; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
  bool ok_ = false;
};

}  // namespace linnet::fuzz
