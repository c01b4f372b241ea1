// The vendor's signing side (host only): ECDSA P-256 key generation and signing
// through mbedTLS, with a CTR-DRBG seeded from the platform entropy source. The
// device only ever sees the public key (runtime/ota/public_key.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/core/sha256.h"

namespace linnet::sign {

struct KeyPairPem {
  std::string private_pem;  // "EC PRIVATE KEY"
  std::string public_pem;   // "PUBLIC KEY" (SubjectPublicKeyInfo)
};

// A fresh P-256 key pair.
Result<KeyPairPem> generate_key_pair();

// Writes <prefix>.key (mode 0600) and <prefix>.pub. Refuses to overwrite an existing
// key unless `overwrite` (losing a vendor key strands every device provisioned with it).
Status write_key_pair(const KeyPairPem& keys, const std::string& prefix, bool overwrite);

class SigningKey {
 public:
  static Result<SigningKey> from_pem(std::string_view private_pem);
  static Result<SigningKey> load(const std::string& path);

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  // DER ECDSA signature over a SHA-256 digest.
  Result<std::vector<std::uint8_t>> sign(const Sha256Digest& digest) const;

  // The public half, as the device is provisioned with it.
  const std::string& public_pem() const { return public_pem_; }
  // SHA-256 of the public key's DER (same as ota::PublicKey::key_id()).
  const Sha256Digest& key_id() const { return key_id_; }

 private:
  struct Context;
  SigningKey(std::unique_ptr<Context> context, std::string public_pem, const Sha256Digest& key_id);

  std::unique_ptr<Context> context_;
  std::string public_pem_;
  Sha256Digest key_id_{};
};

}  // namespace linnet::sign
