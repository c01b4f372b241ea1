// A read-only memory mapping of a whole file (RAII). Bundles are used in place from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "runtime/core/result.h"

namespace linnet {

class MappedFile {
 public:
  // Maps `path` read-only. An empty file maps to an empty span.
  static Result<MappedFile> open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const std::uint8_t* data, std::size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  void reset();

  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

// The whole pages inside [p, p + bytes) (what madvise may act on without touching the bytes
// around the range); bytes == 0 when there is none.
struct PageRange {
  void* begin = nullptr;
  std::size_t bytes = 0;
};
PageRange whole_pages_inside(const void* p, std::size_t bytes);

// Unmaps this process's whole pages inside [p, p + bytes) of a read-only file mapping such as
// MappedFile's (madvise MADV_DONTNEED). The pages stay in the page cache and come back on
// the next touch; nothing is lost. Only for memory that is such a mapping: on anonymous
// memory it would zero the data.
void drop_file_mapped_pages(const void* p, std::size_t bytes);

}  // namespace linnet
