#include "runtime/core/file_replacement.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <utility>

namespace linnet {
namespace {

// kNoSpace when the disk (or the quota, or the file size limit) is full, else kIo.
Error io_error(const std::string& path, const std::string& what, int err) {
  const bool full = err == ENOSPC || err == EFBIG || err == EDQUOT;
  return Error(full ? ErrorCode::kNoSpace : ErrorCode::kIo, path + ": " + what + ": " + std::strerror(err));
}

}  // namespace

Result<FileReplacement> FileReplacement::create(const std::string& path) {
  std::string temp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(temp, "cannot create the temporary file", errno);
  return FileReplacement(path, std::move(temp), fd);
}

FileReplacement::FileReplacement(std::string path, std::string temp_path, int fd)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd) {}

FileReplacement::FileReplacement(FileReplacement&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      fd_(std::exchange(other.fd_, -1)),
      committed_(std::exchange(other.committed_, true)) {}

FileReplacement& FileReplacement::operator=(FileReplacement&& other) noexcept {
  if (this != &other) {
    discard();
    path_ = std::move(other.path_);
    temp_path_ = std::move(other.temp_path_);
    fd_ = std::exchange(other.fd_, -1);
    committed_ = std::exchange(other.committed_, true);
  }
  return *this;
}

FileReplacement::~FileReplacement() { discard(); }

void FileReplacement::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
  committed_ = true;
}

Status FileReplacement::write(std::span<const std::uint8_t> bytes) {
  if (fd_ < 0) return Error(ErrorCode::kFailedPrecondition, temp_path_ + ": write after commit");
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error(temp_path_, "write failed", n < 0 ? errno : ENOSPC);
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

Status FileReplacement::commit() {
  if (fd_ < 0) return Error(ErrorCode::kFailedPrecondition, temp_path_ + ": committed twice");
  if (::fsync(fd_) != 0) return io_error(temp_path_, "fsync failed", errno);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) return io_error(temp_path_, "close failed", errno);
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    return io_error(path_, "cannot rename the temporary file into place", errno);
  }
  committed_ = true;
  // Make the rename durable.
  std::string dir = std::filesystem::path(path_).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return ok_status();
}

Status replace_file(const std::string& path, std::initializer_list<std::span<const std::uint8_t>> parts) {
  FileReplacement file = LINNET_TRY(FileReplacement::create(path));
  for (std::span<const std::uint8_t> part : parts) LINNET_TRY(file.write(part));
  return file.commit();
}

}  // namespace linnet
