#include "runtime/ota/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace linnet::ota {
namespace {

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports a failed close (data may be lost on some file systems).
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

Status write_all(int fd, std::span<const std::uint8_t> bytes, const std::string& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(path, "write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

}  // namespace

Error errno_error(const std::string& path, std::string_view what, int err) {
  ErrorCode code = ErrorCode::kIo;
  if (err == ENOENT) code = ErrorCode::kNotFound;
  if (err == ENOSPC || err == EDQUOT) code = ErrorCode::kNoSpace;
  return Error(code, path + ": " + std::string(what) + ": " + std::strerror(err));
}

Status write_file_atomically(const std::string& dir, const std::string& name,
                             std::span<const std::uint8_t> bytes, CrashPoints* points,
                             std::string_view label) {
  const std::string path = dir + "/" + name;
  const std::string tmp = path + ".tmp";
  const std::string l(label);
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) return errno_error(tmp, "create", errno);
    LINNET_TRY(write_all(fd.get(), bytes, tmp));
    crash_point(points, l + ".tmp-written");
    if (::fsync(fd.get()) != 0) return errno_error(tmp, "fsync", errno);
    if (fd.close() != 0) return errno_error(tmp, "close", errno);
  }
  crash_point(points, l + ".tmp-synced");
  LINNET_TRY(rename_file(tmp, path));
  crash_point(points, l + ".renamed");
  LINNET_TRY(sync_directory(dir));
  crash_point(points, l + ".dir-synced");
  return ok_status();
}

Status sync_directory(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error(dir, "open directory", errno);
  if (::fsync(fd.get()) != 0) return errno_error(dir, "fsync directory", errno);
  return ok_status();
}

Result<std::vector<std::uint8_t>> read_small_file(const std::string& path, std::size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error(path, "open", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error(path, "stat", errno);
  if (!S_ISREG(st.st_mode)) return Error(ErrorCode::kCorrupt, path + ": not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > max_bytes) {
    return Error(ErrorCode::kCorrupt, path + ": " + std::to_string(st.st_size) +
                                          " bytes, more than the " + std::to_string(max_bytes) +
                                          " allowed");
  }
  std::vector<std::uint8_t> out(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(path, "read", errno);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

Result<std::optional<std::uint64_t>> file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<std::uint64_t>();
    return errno_error(path, "stat", errno);
  }
  if (!S_ISREG(st.st_mode)) return Error(ErrorCode::kCorrupt, path + ": not a regular file");
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(st.st_size));
}

Status remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error(path, "unlink", errno);
  return ok_status();
}

Status rename_file(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return errno_error(from, "rename to " + to, errno);
  }
  return ok_status();
}

Result<std::uint64_t> available_bytes(const std::string& dir) {
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return errno_error(dir, "statvfs", errno);
  return static_cast<std::uint64_t>(vfs.f_bavail) * static_cast<std::uint64_t>(vfs.f_frsize);
}

}  // namespace linnet::ota
