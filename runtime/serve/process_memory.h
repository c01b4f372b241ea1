// The process's resident memory, for `info`/`status` and the soak test.
#pragma once

#include <cstdint>
#include <optional>

namespace linnet::serve {

// Resident set size in bytes, from /proc/self/statm; nullopt where that is unreadable.
std::optional<std::uint64_t> resident_bytes();

}  // namespace linnet::serve
