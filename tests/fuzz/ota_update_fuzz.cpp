// Fuzzes what the OTA agent parses from untrusted sources: the head of a signed
// update (header framing, the FlatBuffer manifest and every field limit, the DER
// signature through mbedTLS) and the store's state record. The first input byte picks
// the parser; the rest is its input:
//   0: the update head (split_head, signature check with a fixed key, decode_manifest)
//   1: a manifest alone (decode_manifest)
//   2: a state record body (decode_state; a record that decodes re-encodes identically)
// Seeds (corpus/ota_update_fuzz/) are a real head, manifest and state record.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "runtime/ota/public_key.h"
#include "runtime/ota/store_state.h"
#include "runtime/ota/update_file.h"

namespace {

// Any P-256 key will do: no input can verify against it (that would be a forgery),
// but every signature still goes through the DER parser.
constexpr char kPublicKeyPem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmgm1FrqtjQ0fb0ZomLrrRP33cgoR\n"
    "hdvqSEwT3xxdH0yQC6nrqZQPa0ITTNpYJaID5TLJfhU0LLGQsL9G9T4uhA==\n"
    "-----END PUBLIC KEY-----\n";

const linnet::ota::PublicKey& fixed_key() {
  static const linnet::ota::PublicKey key = [] {
    auto k = linnet::ota::PublicKey::from_pem(kPublicKeyPem);
    if (!k.ok()) std::abort();
    return std::move(k).value();
  }();
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> input(data + 1, size - 1);
  using namespace linnet::ota;
  switch (data[0] % 3) {
    case 0: {
      auto head = split_head(input);
      if (!head.ok()) break;
      (void)fixed_key().verify(head->manifest_sha256(), head->signature());
      auto manifest = decode_manifest(head->manifest_bytes());
      if (manifest.ok() && encode_manifest(*manifest).empty()) std::abort();
      break;
    }
    case 1: {
      auto manifest = decode_manifest(input);
      if (manifest.ok()) {
        // What decodes re-encodes to a manifest that decodes to the same fields.
        auto again = decode_manifest(encode_manifest(*manifest));
        if (!again.ok() || again->model_name != manifest->model_name || again->version != manifest->version ||
            again->bundle_sha256 != manifest->bundle_sha256) {
          std::abort();
        }
      }
      break;
    }
    default: {
      // The record's SHA-256 trailer is appended here, so the parser behind the
      // checksum is reached (a fuzzer cannot forge the hash itself).
      std::vector<std::uint8_t> record(input.begin(), input.end());
      const linnet::Sha256Digest sum = linnet::Sha256::of(record);
      record.insert(record.end(), sum.begin(), sum.end());
      auto state = decode_state(record);
      if (state.ok()) {
        const auto bytes = encode_state(*state);
        if (bytes != record) std::abort();
      }
      break;
    }
  }
  return 0;
}
