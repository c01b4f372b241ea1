// The prefix-state file: the executor state after a fixed prompt prefix (system prompt and
// chat markers), saved so that a device starts warm. One prefix per file.
//
// Layout (little-endian, 128-byte header, then the state):
//   offset  size  field
//        0     8  magic "LNPREFX1"
//        8     4  format version (1)
//       12     4  header bytes (128)
//       16    32  bundle content SHA-256 (Bundle::content_sha256): the model the state is for
//       48    32  SHA-256 of the prefix token ids (each a u32 LE): which prefix it is
//       80     4  prefix token count (the executor position the state is at)
//       84     4  reserved (0)
//       88     8  state bytes N
//       96    32  SHA-256 of the N state bytes (catches a truncated or damaged file)
//      128     N  Executor::save_state() bytes
// A file whose magic, version, sizes, bundle hash, prefix hash or state hash does not match
// is rejected with a message naming the mismatch; the caller then rebuilds the state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/core/sha256.h"

namespace linnet {

inline constexpr std::size_t kPrefixStateHeaderBytes = 128;
inline constexpr std::uint32_t kPrefixStateVersion = 1;

// SHA-256 of token ids written as u32 little-endian: the key of a prefix.
Sha256Digest hash_token_ids(std::span<const std::int32_t> ids);

struct PrefixStateKey {
  Sha256Digest bundle_sha256{};
  Sha256Digest prefix_sha256{};  // hash_token_ids(prefix ids)
  std::uint32_t prefix_tokens = 0;
};

// Writes header + state to `path` (through a temporary file renamed into place, so a crash
// never leaves a half-written file under the real name).
Status write_prefix_state_file(const std::string& path, const PrefixStateKey& key,
                               std::span<const std::uint8_t> state);

// Reads `path` and checks it against `expected` (bundle hash, prefix hash and token count)
// and its own state hash. kNotFound when the file does not exist; kCorrupt for a damaged
// file; kVerification when it is intact but for another bundle or prefix.
Result<std::vector<std::uint8_t>> read_prefix_state_file(const std::string& path,
                                                         const PrefixStateKey& expected);

}  // namespace linnet
