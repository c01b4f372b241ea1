#include "converter/sign/update_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "runtime/core/file_replacement.h"
#include "runtime/core/mapped_file.h"

namespace linnet::sign {

Result<std::vector<std::uint8_t>> build_signed_head(ota::Manifest manifest, const SigningKey& key) {
  manifest.key_id = key.key_id();
  const std::vector<std::uint8_t> manifest_bytes = ota::encode_manifest(manifest);
  // Refuse to sign what a device would refuse to read.
  auto check = ota::decode_manifest(manifest_bytes);
  if (!check.ok()) return std::move(check).error().with_context("refusing to sign");
  const std::vector<std::uint8_t> signature = LINNET_TRY(key.sign(Sha256::of(manifest_bytes)));

  ota::UpdateHeader header;
  header.manifest_size = static_cast<std::uint32_t>(manifest_bytes.size());
  header.signature_size = static_cast<std::uint32_t>(signature.size());
  header.bundle_size = manifest.bundle_size;
  const auto header_bytes = ota::encode_header(header);

  std::vector<std::uint8_t> head;
  head.reserve(header.head_size());
  head.insert(head.end(), header_bytes.begin(), header_bytes.end());
  head.insert(head.end(), manifest_bytes.begin(), manifest_bytes.end());
  head.insert(head.end(), signature.begin(), signature.end());
  return head;
}

ota::Manifest manifest_for(std::span<const std::uint8_t> bundle, const UpdateSpec& spec) {
  ota::Manifest manifest;
  manifest.model_name = spec.model_name;
  manifest.version = spec.version;
  manifest.bundle_size = bundle.size();
  manifest.bundle_sha256 = Sha256::of(bundle);
  manifest.content_sha256 = spec.content_sha256;
  manifest.min_runtime = spec.min_runtime;
  manifest.self_test = spec.self_test;
  manifest.created_unix_seconds =
      spec.created_unix_seconds != 0 ? spec.created_unix_seconds : static_cast<std::uint64_t>(std::time(nullptr));
  return manifest;
}

Result<std::vector<std::uint8_t>> build_update(std::span<const std::uint8_t> bundle, const UpdateSpec& spec,
                                               const SigningKey& key) {
  std::vector<std::uint8_t> out = LINNET_TRY(build_signed_head(manifest_for(bundle, spec), key));
  out.insert(out.end(), bundle.begin(), bundle.end());
  return out;
}

Result<ota::Manifest> write_update(const std::string& bundle_path, const UpdateSpec& spec, const SigningKey& key,
                                   const std::string& out_path) {
  const MappedFile bundle = LINNET_TRY(MappedFile::open(bundle_path));
  if (bundle.size() == 0) return Error(ErrorCode::kInvalidArgument, bundle_path + ": empty bundle");
  ota::Manifest manifest = manifest_for(bundle.bytes(), spec);
  const std::vector<std::uint8_t> head = LINNET_TRY(build_signed_head(manifest, key));
  manifest.key_id = key.key_id();

  Status written = replace_file(out_path, {std::span<const std::uint8_t>(head), bundle.bytes()});
  if (!written.ok()) return std::move(written).error().with_context("cannot write the update");
  return manifest;
}

}  // namespace linnet::sign
