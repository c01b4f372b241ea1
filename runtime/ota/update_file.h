// The signed update file (.lnu) and its manifest: layout constants, the decoded
// manifest, and the parsers the device runs on untrusted bytes. Layout (all integers
// little-endian):
//
//   header (32 bytes)   0: "LNUP"  4: u32 format version (1)  8: u32 header size (32)
//                       12: u32 manifest size  16: u32 signature size  20: u32 zero
//                       24: u64 bundle size (repeats the manifest's, for framing)
//   manifest            FlatBuffer, schema runtime/ota/update.fbs, identifier "LNUM"
//   signature           DER ECDSA P-256 over SHA-256(manifest bytes)
//   bundle              bundle_size bytes
//
// "The head" is header + manifest + signature: everything needed to decide whether
// to accept the update before its bundle arrives.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/core/sha256.h"

namespace linnet::ota {

inline constexpr std::array<std::uint8_t, 4> kUpdateMagic = {'L', 'N', 'U', 'P'};
inline constexpr std::uint32_t kUpdateFormatVersion = 1;
inline constexpr std::uint32_t kManifestFormatVersion = 1;
inline constexpr std::size_t kUpdateHeaderBytes = 32;
inline constexpr std::size_t kMaxManifestBytes = 64 * 1024;
inline constexpr std::size_t kMinSignatureBytes = 8;
inline constexpr std::size_t kMaxSignatureBytes = 72;  // DER ECDSA P-256 at most
inline constexpr std::size_t kMaxHeadBytes = kUpdateHeaderBytes + kMaxManifestBytes + kMaxSignatureBytes;
inline constexpr std::uint64_t kMaxBundleBytes = std::uint64_t{1} << 40;  // 1 TiB: framing sanity
inline constexpr std::size_t kMaxModelNameChars = 64;
inline constexpr std::size_t kMaxPromptBytes = 4096;
inline constexpr std::size_t kMaxLabelBytes = 256;
inline constexpr std::size_t kMaxExpectedTokens = 256;

struct RuntimeVersion {
  std::uint16_t major = 0;
  std::uint16_t minor = 0;
  std::uint16_t patch = 0;

  auto operator<=>(const RuntimeVersion&) const = default;
  std::string to_string() const;
  // "1.2.3" exactly (no prefixes or suffixes).
  static Result<RuntimeVersion> parse(std::string_view text);
};

// The version of this runtime (the project version in CMakeLists.txt).
RuntimeVersion this_runtime_version();

struct SelfTest {
  std::string prompt;                            // the user turn
  std::string expected_label;                    // empty when token ids are given
  std::vector<std::uint32_t> expected_token_ids;  // empty when a label is given
  std::string system;                            // optional system turn
};

struct Manifest {
  std::string model_name;
  std::uint64_t version = 0;
  std::uint64_t bundle_size = 0;
  Sha256Digest bundle_sha256{};
  std::optional<Sha256Digest> content_sha256;
  RuntimeVersion min_runtime;
  std::optional<SelfTest> self_test;
  std::optional<Sha256Digest> key_id;
  std::uint64_t created_unix_seconds = 0;
};

// FlatBuffer bytes of a manifest (the signer's side; also used by tests).
std::vector<std::uint8_t> encode_manifest(const Manifest& manifest);

// Verifies the FlatBuffer and every field's limits; names the first bad field.
Result<Manifest> decode_manifest(std::span<const std::uint8_t> bytes);

// A model name is a file-name-safe token: no path separators, no "..", no control
// characters; the store never builds paths from it, but refuses such names anyway.
Status validate_model_name(std::string_view name);

struct UpdateHeader {
  std::uint32_t manifest_size = 0;
  std::uint32_t signature_size = 0;
  std::uint64_t bundle_size = 0;

  std::size_t head_size() const { return kUpdateHeaderBytes + manifest_size + signature_size; }
  std::uint64_t file_size() const { return head_size() + bundle_size; }
};

std::array<std::uint8_t, kUpdateHeaderBytes> encode_header(const UpdateHeader& header);

// Reads the first kUpdateHeaderBytes of `bytes` (more may follow).
Result<UpdateHeader> decode_header(std::span<const std::uint8_t> bytes);

// The head split into its parts. Nothing here is trusted until the signature over
// `manifest_bytes` has been verified (UpdateVerifier does that).
struct UpdateHead {
  UpdateHeader header;
  std::vector<std::uint8_t> bytes;  // the whole head, as received
  std::span<const std::uint8_t> manifest_bytes() const {
    return std::span(bytes).subspan(kUpdateHeaderBytes, header.manifest_size);
  }
  std::span<const std::uint8_t> signature() const {
    return std::span(bytes).subspan(kUpdateHeaderBytes + header.manifest_size, header.signature_size);
  }
  Sha256Digest manifest_sha256() const { return Sha256::of(manifest_bytes()); }
};

// `bytes` must start with a head (extra bytes after it are ignored). Checks framing
// only; the manifest is decoded after its signature verifies.
Result<UpdateHead> split_head(std::span<const std::uint8_t> bytes);

}  // namespace linnet::ota
