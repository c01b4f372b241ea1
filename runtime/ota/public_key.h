// The provisioned vendor public key (ECDSA P-256, PEM) and signature verification
// through mbedTLS. The device holds only this key; the private key stays on the
// publishing host (converter/sign/).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "runtime/core/result.h"
#include "runtime/core/sha256.h"

namespace linnet::ota {

class PublicKey {
 public:
  // A PEM "PUBLIC KEY" (SubjectPublicKeyInfo) holding an EC key on P-256; any
  // other key type or curve is refused.
  static Result<PublicKey> from_pem(std::string_view pem);
  static Result<PublicKey> load(const std::string& path);

  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  ~PublicKey();

  // Verifies a DER ECDSA signature over `digest` (a SHA-256). kVerification on a
  // signature that does not match, kCorrupt on one that is not valid DER.
  Status verify(const Sha256Digest& digest, std::span<const std::uint8_t> der_signature) const;

  // SHA-256 of the key's DER encoding: names the key in messages and manifests.
  const Sha256Digest& key_id() const { return key_id_; }

 private:
  struct Context;
  explicit PublicKey(std::unique_ptr<Context> context, const Sha256Digest& key_id);

  std::unique_ptr<Context> context_;
  Sha256Digest key_id_{};
};

// Short printable form of a key id (first 8 bytes in hex).
std::string short_key_id(const Sha256Digest& key_id);

}  // namespace linnet::ota
