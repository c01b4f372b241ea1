#include "runtime/core/sha256.h"

#include <mbedtls/sha256.h>

namespace linnet {

struct Sha256::State {
  mbedtls_sha256_context ctx;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  mbedtls_sha256_init(&state_->ctx);
  mbedtls_sha256_starts(&state_->ctx, /*is224=*/0);
}

Sha256::~Sha256() { mbedtls_sha256_free(&state_->ctx); }

void Sha256::update(std::span<const std::uint8_t> bytes) {
  if (!bytes.empty()) mbedtls_sha256_update(&state_->ctx, bytes.data(), bytes.size());
}

Sha256Digest Sha256::finish() {
  Sha256Digest digest{};
  mbedtls_sha256_finish(&state_->ctx, digest.data());
  return digest;
}

Sha256Digest Sha256::of(std::span<const std::uint8_t> bytes) {
  Sha256 h;
  h.update(bytes);
  return h.finish();
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

}  // namespace linnet
