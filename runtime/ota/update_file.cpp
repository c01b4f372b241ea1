#include "runtime/ota/update_file.h"

#include <flatbuffers/flatbuffers.h>

#include <charconv>
#include <cstring>
#include <vector>

#include "runtime/ota/update_generated.h"

#ifndef LINNET_VERSION_MAJOR
#error "LINNET_VERSION_MAJOR/MINOR/PATCH come from runtime/ota/CMakeLists.txt"
#endif

namespace linnet::ota {
namespace {

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

Error corrupt(std::string message) { return Error(ErrorCode::kCorrupt, std::move(message)); }

Result<Sha256Digest> digest_field(const flatbuffers::Vector<std::uint8_t>* v, const char* name) {
  if (v == nullptr || v->size() != 32) {
    return corrupt(std::string("manifest ") + name + ": expected 32 bytes, got " +
                   std::to_string(v == nullptr ? 0 : v->size()));
  }
  Sha256Digest d{};
  std::memcpy(d.data(), v->data(), 32);
  return d;
}

Result<std::optional<Sha256Digest>> optional_digest_field(const flatbuffers::Vector<std::uint8_t>* v,
                                                          const char* name) {
  if (v == nullptr || v->size() == 0) return std::optional<Sha256Digest>();
  return std::optional<Sha256Digest>(LINNET_TRY(digest_field(v, name)));
}

Result<SelfTest> decode_self_test(const fb::SelfTest& t) {
  SelfTest out;
  out.prompt = t.prompt()->str();
  if (out.prompt.empty()) return corrupt("manifest self_test: empty prompt");
  if (out.prompt.size() > kMaxPromptBytes) {
    return corrupt("manifest self_test: prompt of " + std::to_string(out.prompt.size()) +
                   " bytes, more than " + std::to_string(kMaxPromptBytes));
  }
  if (t.system() != nullptr) out.system = t.system()->str();
  if (out.system.size() > kMaxPromptBytes) return corrupt("manifest self_test: system prompt too long");
  if (t.expected_label() != nullptr) out.expected_label = t.expected_label()->str();
  if (out.expected_label.size() > kMaxLabelBytes) return corrupt("manifest self_test: label too long");
  if (t.expected_token_ids() != nullptr) {
    if (t.expected_token_ids()->size() > kMaxExpectedTokens) {
      return corrupt("manifest self_test: more than " + std::to_string(kMaxExpectedTokens) +
                     " expected token ids");
    }
    out.expected_token_ids.assign(t.expected_token_ids()->begin(), t.expected_token_ids()->end());
  }
  if (out.expected_label.empty() == out.expected_token_ids.empty()) {
    return corrupt("manifest self_test: exactly one of expected_label and expected_token_ids must be set");
  }
  return out;
}

}  // namespace

std::string RuntimeVersion::to_string() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

Result<RuntimeVersion> RuntimeVersion::parse(std::string_view text) {
  RuntimeVersion v;
  std::uint16_t* parts[3] = {&v.major, &v.minor, &v.patch};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 3; ++i) {
    auto [next, ec] = std::from_chars(p, end, *parts[i]);
    if (ec != std::errc() || next == p) break;
    p = next;
    if (i == 2) {
      if (p == end) return v;
      break;
    }
    if (p == end || *p != '.') break;
    ++p;
  }
  return Error(ErrorCode::kInvalidArgument,
               "runtime version '" + std::string(text) + "' is not MAJOR.MINOR.PATCH");
}

RuntimeVersion this_runtime_version() {
  return {LINNET_VERSION_MAJOR, LINNET_VERSION_MINOR, LINNET_VERSION_PATCH};
}

Status validate_model_name(std::string_view name) {
  if (name.empty()) return corrupt("model name is empty");
  if (name.size() > kMaxModelNameChars) {
    return corrupt("model name of " + std::to_string(name.size()) + " characters, more than " +
                   std::to_string(kMaxModelNameChars));
  }
  if (name.find_first_of("/\\") != std::string_view::npos) {
    return corrupt("model name '" + std::string(name) + "' contains a path separator");
  }
  if (name.front() == '.') return corrupt("model name '" + std::string(name) + "' starts with '.'");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return corrupt("model name contains a character outside [A-Za-z0-9._-]");
  }
  return ok_status();
}

std::vector<std::uint8_t> encode_manifest(const Manifest& m) {
  flatbuffers::FlatBufferBuilder b(1024);
  auto name = b.CreateString(m.model_name);
  auto bundle_sha = b.CreateVector(m.bundle_sha256.data(), m.bundle_sha256.size());
  flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> content_sha;
  if (m.content_sha256) content_sha = b.CreateVector(m.content_sha256->data(), 32);
  flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> key_id;
  if (m.key_id) key_id = b.CreateVector(m.key_id->data(), 32);
  flatbuffers::Offset<fb::SelfTest> self_test;
  if (m.self_test) {
    auto prompt = b.CreateString(m.self_test->prompt);
    flatbuffers::Offset<flatbuffers::String> label;
    if (!m.self_test->expected_label.empty()) label = b.CreateString(m.self_test->expected_label);
    flatbuffers::Offset<flatbuffers::Vector<std::uint32_t>> ids;
    if (!m.self_test->expected_token_ids.empty()) ids = b.CreateVector(m.self_test->expected_token_ids);
    flatbuffers::Offset<flatbuffers::String> system;
    if (!m.self_test->system.empty()) system = b.CreateString(m.self_test->system);
    self_test = fb::CreateSelfTest(b, prompt, label, ids, system);
  }
  const fb::RuntimeVersion min_runtime(m.min_runtime.major, m.min_runtime.minor, m.min_runtime.patch);
  fb::ManifestBuilder mb(b);
  mb.add_format_version(kManifestFormatVersion);
  mb.add_model_name(name);
  mb.add_version(m.version);
  mb.add_bundle_size(m.bundle_size);
  mb.add_bundle_sha256(bundle_sha);
  if (m.content_sha256) mb.add_content_sha256(content_sha);
  mb.add_min_runtime(&min_runtime);
  if (m.self_test) mb.add_self_test(self_test);
  if (m.key_id) mb.add_key_id(key_id);
  mb.add_created_unix_seconds(m.created_unix_seconds);
  fb::FinishManifestBuffer(b, mb.Finish());
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

Result<Manifest> decode_manifest(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 8 || bytes.size() > kMaxManifestBytes) {
    return corrupt("manifest of " + std::to_string(bytes.size()) + " bytes (8.." +
                   std::to_string(kMaxManifestBytes) + " allowed)");
  }
  if (!fb::ManifestBufferHasIdentifier(bytes.data())) {
    return corrupt("manifest lacks the \"LNUM\" identifier");
  }
  // FlatBuffers reads scalars in place and needs them aligned; the manifest sits at
  // whatever offset the update head put it, so it is read from an aligned copy
  // (operator new aligns to __STDCPP_DEFAULT_NEW_ALIGNMENT__, >= 8 for every scalar).
  const std::vector<std::uint8_t> aligned(bytes.begin(), bytes.end());
  // Explicit limits: a manifest is a handful of small tables.
  flatbuffers::Verifier::Options options;
  options.max_depth = 8;
  options.max_tables = 16;
  options.max_size = kMaxManifestBytes;
  flatbuffers::Verifier verifier(aligned.data(), aligned.size(), options);
  if (!fb::VerifyManifestBuffer(verifier)) return corrupt("manifest is not a valid FlatBuffer");
  const fb::Manifest* root = fb::GetManifest(aligned.data());

  if (root->format_version() != kManifestFormatVersion) {
    return Error(ErrorCode::kUnsupported, "manifest format version " +
                                              std::to_string(root->format_version()) + " (this runtime reads " +
                                              std::to_string(kManifestFormatVersion) + ")");
  }
  Manifest m;
  m.model_name = root->model_name()->str();
  LINNET_TRY(validate_model_name(m.model_name));
  m.version = root->version();
  if (m.version == 0) return corrupt("manifest version is 0 (versions start at 1)");
  m.bundle_size = root->bundle_size();
  if (m.bundle_size == 0 || m.bundle_size > kMaxBundleBytes) {
    return corrupt("manifest bundle_size " + std::to_string(m.bundle_size) + " is out of range");
  }
  m.bundle_sha256 = LINNET_TRY(digest_field(root->bundle_sha256(), "bundle_sha256"));
  m.content_sha256 = LINNET_TRY(optional_digest_field(root->content_sha256(), "content_sha256"));
  m.key_id = LINNET_TRY(optional_digest_field(root->key_id(), "key_id"));
  if (root->min_runtime() != nullptr) {
    m.min_runtime = {root->min_runtime()->major(), root->min_runtime()->minor(), root->min_runtime()->patch()};
  }
  if (root->self_test() != nullptr) m.self_test = LINNET_TRY(decode_self_test(*root->self_test()));
  m.created_unix_seconds = root->created_unix_seconds();
  return m;
}

std::array<std::uint8_t, kUpdateHeaderBytes> encode_header(const UpdateHeader& h) {
  std::array<std::uint8_t, kUpdateHeaderBytes> out{};
  std::memcpy(out.data(), kUpdateMagic.data(), 4);
  put_u32(out.data() + 4, kUpdateFormatVersion);
  put_u32(out.data() + 8, static_cast<std::uint32_t>(kUpdateHeaderBytes));
  put_u32(out.data() + 12, h.manifest_size);
  put_u32(out.data() + 16, h.signature_size);
  put_u32(out.data() + 20, 0);
  put_u64(out.data() + 24, h.bundle_size);
  return out;
}

Result<UpdateHeader> decode_header(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kUpdateHeaderBytes) {
    return corrupt("update is " + std::to_string(bytes.size()) + " bytes, shorter than its " +
                   std::to_string(kUpdateHeaderBytes) + "-byte header");
  }
  if (std::memcmp(bytes.data(), kUpdateMagic.data(), 4) != 0) {
    return corrupt("not a Linnet update (no \"LNUP\" magic)");
  }
  const std::uint32_t format = get_u32(bytes.data() + 4);
  if (format != kUpdateFormatVersion) {
    return Error(ErrorCode::kUnsupported, "update format version " + std::to_string(format) +
                                              " (this runtime reads " + std::to_string(kUpdateFormatVersion) + ")");
  }
  if (get_u32(bytes.data() + 8) != kUpdateHeaderBytes || get_u32(bytes.data() + 20) != 0) {
    return corrupt("update header has a wrong header size or non-zero reserved field");
  }
  UpdateHeader h;
  h.manifest_size = get_u32(bytes.data() + 12);
  h.signature_size = get_u32(bytes.data() + 16);
  h.bundle_size = get_u64(bytes.data() + 24);
  if (h.manifest_size < 8 || h.manifest_size > kMaxManifestBytes) {
    return corrupt("update header: manifest size " + std::to_string(h.manifest_size) + " out of range (8.." +
                   std::to_string(kMaxManifestBytes) + ")");
  }
  if (h.signature_size < kMinSignatureBytes || h.signature_size > kMaxSignatureBytes) {
    return corrupt("update header: signature size " + std::to_string(h.signature_size) + " out of range (" +
                   std::to_string(kMinSignatureBytes) + ".." + std::to_string(kMaxSignatureBytes) + ")");
  }
  if (h.bundle_size == 0 || h.bundle_size > kMaxBundleBytes) {
    return corrupt("update header: bundle size " + std::to_string(h.bundle_size) + " out of range");
  }
  return h;
}

Result<UpdateHead> split_head(std::span<const std::uint8_t> bytes) {
  UpdateHead head;
  head.header = LINNET_TRY(decode_header(bytes));
  if (bytes.size() < head.header.head_size()) {
    return corrupt("update truncated: " + std::to_string(bytes.size()) + " bytes, the head alone needs " +
                   std::to_string(head.header.head_size()));
  }
  head.bytes.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(head.header.head_size()));
  return head;
}

}  // namespace linnet::ota
