// Small POSIX file helpers with the durability the OTA store relies on. Every
// function that changes the disk says which fsyncs it does; callers build the
// crash-safe sequences (see ota_agent.cpp) from these steps.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/ota/crash_points.h"

namespace linnet::ota {

// Replaces dir/name with `bytes` so that after a crash at any point the file holds
// either its old or its new content, never a mix:
//   write dir/name.tmp, fsync it, rename over dir/name, fsync dir.
// Crash points: "<label>.tmp-written", "<label>.tmp-synced", "<label>.renamed",
// "<label>.dir-synced". `points` may be null.
Status write_file_atomically(const std::string& dir, const std::string& name,
                             std::span<const std::uint8_t> bytes, CrashPoints* points,
                             std::string_view label);

// fsync of a directory: makes renames, creations and unlinks in it durable.
Status sync_directory(const std::string& dir);

// Whole file into memory (for the small records: state, update head). Refuses files
// larger than `max_bytes` (a corrupt or hostile store must not exhaust memory).
Result<std::vector<std::uint8_t>> read_small_file(const std::string& path, std::size_t max_bytes);

// Size of a regular file, or nullopt when it does not exist.
Result<std::optional<std::uint64_t>> file_size(const std::string& path);

// unlink; a missing file is not an error. Not durable until sync_directory.
Status remove_file(const std::string& path);

// rename; durable after sync_directory of the (single) directory.
Status rename_file(const std::string& from, const std::string& to);

// Bytes available to this process in the file system holding `dir` (statvfs).
Result<std::uint64_t> available_bytes(const std::string& dir);

// "path: what: strerror(errno)" as an Error with a code derived from errno.
Error errno_error(const std::string& path, std::string_view what, int err);

}  // namespace linnet::ota
