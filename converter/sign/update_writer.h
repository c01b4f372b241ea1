// Builds signed updates (.lnu, layout in runtime/ota/update_file.h and docs/ota.md):
// the manifest names the bundle's size and SHA-256, and the vendor key signs
// SHA-256(manifest). Host side of `linnet-convert sign`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/ota/update_file.h"
#include "converter/sign/signing_key.h"

namespace linnet::sign {

struct UpdateSpec {
  std::string model_name;
  std::uint64_t version = 0;
  ota::RuntimeVersion min_runtime;
  std::optional<ota::SelfTest> self_test;
  std::optional<Sha256Digest> content_sha256;  // the bundle's own hash, when known
  std::uint64_t created_unix_seconds = 0;      // 0: now
};

// header + manifest + signature for `manifest` (its key_id is set from `key`).
Result<std::vector<std::uint8_t>> build_signed_head(ota::Manifest manifest, const SigningKey& key);

// The manifest `spec` describes for `bundle` (size, SHA-256, time).
ota::Manifest manifest_for(std::span<const std::uint8_t> bundle, const UpdateSpec& spec);

// A whole update in memory (tests, small bundles): head + bundle bytes.
Result<std::vector<std::uint8_t>> build_update(std::span<const std::uint8_t> bundle, const UpdateSpec& spec,
                                               const SigningKey& key);

// Hashes the bundle at `bundle_path`, signs a manifest for it and writes the update
// to `out_path` (via a temporary file and rename). Returns the manifest written.
Result<ota::Manifest> write_update(const std::string& bundle_path, const UpdateSpec& spec, const SigningKey& key,
                                   const std::string& out_path);

}  // namespace linnet::sign
