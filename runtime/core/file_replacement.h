// A file written beside its destination and renamed over it only once complete, so a reader
// never sees a half-written file and a failed write leaves the old file in place. The one
// temp-file-then-rename writer of the runtime and the converter:
//   create(path)  opens "<path>.tmp.<pid>" (mode 0644 less the umask)
//   write(bytes)  appends; fd() allows positioned writes (pwrite) too
//   commit()      fsync, close, rename over `path`, fsync the directory (the rename is durable)
// Destroyed without a successful commit(): the temporary file is closed and removed.
// (The OTA store's writes, which need crash points between these steps, are
// ota::write_file_atomically.)
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>

#include "runtime/core/result.h"

namespace linnet {

class FileReplacement {
 public:
  static Result<FileReplacement> create(const std::string& path);

  FileReplacement(FileReplacement&& other) noexcept;
  FileReplacement& operator=(FileReplacement&& other) noexcept;
  FileReplacement(const FileReplacement&) = delete;
  FileReplacement& operator=(const FileReplacement&) = delete;
  ~FileReplacement();

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

  // Appends all of `bytes` (retrying short writes and EINTR). Errors name the path: kNoSpace
  // when the disk is full, kIo otherwise.
  Status write(std::span<const std::uint8_t> bytes);
  Status commit();

 private:
  FileReplacement(std::string path, std::string temp_path, int fd);
  void discard();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

// The whole file at once: `parts` one after another, replacing `path` as above.
Status replace_file(const std::string& path, std::initializer_list<std::span<const std::uint8_t>> parts);

}  // namespace linnet
