#include "runtime/ota/public_key.h"

#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>

#include <vector>

#include "runtime/ota/durable_file.h"

namespace linnet::ota {

struct PublicKey::Context {
  mbedtls_pk_context pk;
  Context() { mbedtls_pk_init(&pk); }
  ~Context() { mbedtls_pk_free(&pk); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
};

namespace {

std::string mbedtls_message(int rc) {
  char buf[128];
  mbedtls_strerror(rc, buf, sizeof buf);
  return buf;
}

}  // namespace

PublicKey::PublicKey(std::unique_ptr<Context> context, const Sha256Digest& key_id)
    : context_(std::move(context)), key_id_(key_id) {}
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;
PublicKey::~PublicKey() = default;

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  // mbedtls_pk_parse_public_key wants PEM input NUL-terminated, length included.
  std::string text(pem);
  auto context = std::make_unique<Context>();
  int rc = mbedtls_pk_parse_public_key(&context->pk, reinterpret_cast<const unsigned char*>(text.c_str()),
                                       text.size() + 1);
  if (rc != 0) return Error(ErrorCode::kCorrupt, "public key: not a PEM public key: " + mbedtls_message(rc));
  if (mbedtls_pk_get_type(&context->pk) != MBEDTLS_PK_ECKEY ||
      mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(context->pk)) != MBEDTLS_ECP_DP_SECP256R1) {
    return Error(ErrorCode::kUnsupported, "public key: not an ECDSA P-256 key");
  }
  // The DER encoding is written at the end of the buffer.
  std::vector<unsigned char> der(512);
  rc = mbedtls_pk_write_pubkey_der(&context->pk, der.data(), der.size());
  if (rc < 0) return Error(ErrorCode::kInternal, "public key: cannot encode: " + mbedtls_message(rc));
  const auto len = static_cast<std::size_t>(rc);
  const Sha256Digest id = Sha256::of(std::span(der).subspan(der.size() - len, len));
  return PublicKey(std::move(context), id);
}

Result<PublicKey> PublicKey::load(const std::string& path) {
  auto bytes = read_small_file(path, 16 * 1024);
  if (!bytes.ok()) return std::move(bytes).error().with_context("public key");
  auto key = from_pem(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()));
  if (!key.ok()) return std::move(key).error().with_context(path);
  return key;
}

Status PublicKey::verify(const Sha256Digest& digest, std::span<const std::uint8_t> der_signature) const {
  const int rc = mbedtls_pk_verify(&context_->pk, MBEDTLS_MD_SHA256, digest.data(), digest.size(),
                                   der_signature.data(), der_signature.size());
  if (rc == 0) return ok_status();
  if (rc == MBEDTLS_ERR_ECP_VERIFY_FAILED) {
    return Error(ErrorCode::kVerification, "signature does not verify");
  }
  return Error(ErrorCode::kVerification, "signature is malformed: " + mbedtls_message(rc));
}

std::string short_key_id(const Sha256Digest& key_id) {
  return to_hex(std::span(key_id).first(8));
}

}  // namespace linnet::ota
