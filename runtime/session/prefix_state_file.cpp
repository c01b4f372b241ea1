#include "runtime/session/prefix_state_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "runtime/core/file_replacement.h"

namespace linnet {
namespace {

constexpr char kMagic[8] = {'L', 'N', 'P', 'R', 'E', 'F', 'X', '1'};

void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint32_t get_u32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

Error io_error(const std::string& what, const std::string& path) {
  return Error(ErrorCode::kIo, "prefix state " + path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

Sha256Digest hash_token_ids(std::span<const std::int32_t> ids) {
  Sha256 h;
  std::uint8_t buf[4];
  for (std::int32_t id : ids) {
    put_u32(buf, static_cast<std::uint32_t>(id));
    h.update(buf);
  }
  return h.finish();
}

Status write_prefix_state_file(const std::string& path, const PrefixStateKey& key,
                               std::span<const std::uint8_t> state) {
  std::uint8_t header[kPrefixStateHeaderBytes] = {};
  std::memcpy(header, kMagic, 8);
  put_u32(header + 8, kPrefixStateVersion);
  put_u32(header + 12, static_cast<std::uint32_t>(kPrefixStateHeaderBytes));
  std::memcpy(header + 16, key.bundle_sha256.data(), 32);
  std::memcpy(header + 48, key.prefix_sha256.data(), 32);
  put_u32(header + 80, key.prefix_tokens);
  put_u64(header + 88, state.size());
  const Sha256Digest state_hash = Sha256::of(state);
  std::memcpy(header + 96, state_hash.data(), 32);

  Status written = replace_file(path, {std::span<const std::uint8_t>(header), state});
  if (!written.ok()) return std::move(written).error().with_context("prefix state");
  return ok_status();
}

Result<std::vector<std::uint8_t>> read_prefix_state_file(const std::string& path,
                                                         const PrefixStateKey& expected) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) {
    if (errno == ENOENT) return Error(ErrorCode::kNotFound, "prefix state " + path + ": no such file");
    return io_error("cannot open", path);
  }
  auto corrupt = [&](const std::string& what) {
    return Error(ErrorCode::kCorrupt, "prefix state " + path + ": " + what);
  };
  auto mismatch = [&](const std::string& what) {
    return Error(ErrorCode::kVerification, "prefix state " + path + ": " + what);
  };

  std::uint8_t header[kPrefixStateHeaderBytes];
  if (std::fread(header, 1, sizeof header, f.get()) != sizeof header) {
    return corrupt("shorter than its 128-byte header");
  }
  if (std::memcmp(header, kMagic, 8) != 0) return corrupt("not a prefix state file (bad magic)");
  if (get_u32(header + 8) != kPrefixStateVersion) {
    return corrupt("format version " + std::to_string(get_u32(header + 8)) + ", expected " +
                   std::to_string(kPrefixStateVersion));
  }
  if (get_u32(header + 12) != kPrefixStateHeaderBytes) return corrupt("bad header size");
  if (std::memcmp(header + 16, expected.bundle_sha256.data(), 32) != 0) {
    return mismatch("made for another model (bundle " +
                    to_hex(std::span<const std::uint8_t>(header + 16, 32)).substr(0, 16) +
                    "..., loaded " + to_hex(expected.bundle_sha256).substr(0, 16) + "...)");
  }
  if (std::memcmp(header + 48, expected.prefix_sha256.data(), 32) != 0 ||
      get_u32(header + 80) != expected.prefix_tokens) {
    return mismatch("made for another prompt prefix (" + std::to_string(get_u32(header + 80)) +
                    " tokens, hash " +
                    to_hex(std::span<const std::uint8_t>(header + 48, 32)).substr(0, 16) + "...)");
  }
  const std::uint64_t state_bytes = get_u64(header + 88);
  // Bound the allocation by the file's real size before trusting the header.
  if (std::fseek(f.get(), 0, SEEK_END) != 0) return io_error("seek failed", path);
  const long file_size = std::ftell(f.get());
  if (file_size < 0) return io_error("tell failed", path);
  if (static_cast<std::uint64_t>(file_size) != kPrefixStateHeaderBytes + state_bytes) {
    return corrupt("header says " + std::to_string(state_bytes) + " state bytes, file holds " +
                   std::to_string(static_cast<std::uint64_t>(file_size) - kPrefixStateHeaderBytes));
  }
  if (std::fseek(f.get(), static_cast<long>(kPrefixStateHeaderBytes), SEEK_SET) != 0) {
    return io_error("seek failed", path);
  }
  std::vector<std::uint8_t> state(static_cast<std::size_t>(state_bytes));
  if (!state.empty() && std::fread(state.data(), 1, state.size(), f.get()) != state.size()) {
    return corrupt("truncated state");
  }
  const Sha256Digest state_hash = Sha256::of(state);
  if (std::memcmp(header + 96, state_hash.data(), 32) != 0) {
    return corrupt("state bytes do not match their SHA-256 (damaged file)");
  }
  return state;
}

}  // namespace linnet
