#include "converter/sign/signing_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "runtime/ota/public_key.h"

namespace linnet::sign {
namespace {

std::string mbedtls_message(int rc) {
  char buf[128];
  mbedtls_strerror(rc, buf, sizeof buf);
  return buf;
}

Error crypto_error(std::string_view what, int rc) {
  return Error(ErrorCode::kInternal, std::string(what) + ": " + mbedtls_message(rc));
}

// A CTR-DRBG seeded from the platform entropy source (getrandom / /dev/urandom).
struct Drbg {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context ctr_drbg;
  Drbg() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&ctr_drbg);
  }
  ~Drbg() {
    mbedtls_ctr_drbg_free(&ctr_drbg);
    mbedtls_entropy_free(&entropy);
  }
  Drbg(const Drbg&) = delete;
  Drbg& operator=(const Drbg&) = delete;
  Status seed() {
    static constexpr char kPersonalization[] = "linnet-convert signing";
    const int rc = mbedtls_ctr_drbg_seed(&ctr_drbg, mbedtls_entropy_func, &entropy,
                                         reinterpret_cast<const unsigned char*>(kPersonalization),
                                         sizeof kPersonalization - 1);
    if (rc != 0) return crypto_error("seeding the random generator", rc);
    return ok_status();
  }
};

struct Pk {
  mbedtls_pk_context pk;
  Pk() { mbedtls_pk_init(&pk); }
  ~Pk() { mbedtls_pk_free(&pk); }
  Pk(const Pk&) = delete;
  Pk& operator=(const Pk&) = delete;
};

Result<std::string> public_pem_of(mbedtls_pk_context* pk) {
  std::vector<unsigned char> buf(1024);
  const int rc = mbedtls_pk_write_pubkey_pem(pk, buf.data(), buf.size());
  if (rc != 0) return crypto_error("writing the public key", rc);
  return std::string(reinterpret_cast<const char*>(buf.data()));
}

Status write_text(const std::string& path, const std::string& text, mode_t mode, bool overwrite) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return Error(ErrorCode::kFailedPrecondition, path + " exists; refusing to overwrite a key (use --force)");
    }
    return Error(ErrorCode::kIo, path + ": " + std::strerror(errno));
  }
  // O_CREAT's mode is masked by the umask and ignored for an existing file: set it.
  if (::fchmod(fd, mode) != 0 ||
      ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return Error(ErrorCode::kIo, path + ": " + std::strerror(err));
  }
  ::close(fd);
  return ok_status();
}

}  // namespace

struct SigningKey::Context {
  Pk key;
  mutable Drbg drbg;  // signing draws blinding values from it
};

Result<KeyPairPem> generate_key_pair() {
  Drbg drbg;
  LINNET_TRY(drbg.seed());
  Pk key;
  int rc = mbedtls_pk_setup(&key.pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
  if (rc != 0) return crypto_error("creating the key", rc);
  rc = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key.pk), mbedtls_ctr_drbg_random, &drbg.ctr_drbg);
  if (rc != 0) return crypto_error("generating a P-256 key", rc);
  std::vector<unsigned char> buf(2048);
  rc = mbedtls_pk_write_key_pem(&key.pk, buf.data(), buf.size());
  if (rc != 0) return crypto_error("writing the private key", rc);
  KeyPairPem out;
  out.private_pem = reinterpret_cast<const char*>(buf.data());
  mbedtls_platform_zeroize(buf.data(), buf.size());
  out.public_pem = LINNET_TRY(public_pem_of(&key.pk));
  return out;
}

Status write_key_pair(const KeyPairPem& keys, const std::string& prefix, bool overwrite) {
  const std::string key_path = prefix + ".key";
  const std::string pub_path = prefix + ".pub";
  if (!overwrite && (::access(key_path.c_str(), F_OK) == 0 || ::access(pub_path.c_str(), F_OK) == 0)) {
    return Error(ErrorCode::kFailedPrecondition,
                 prefix + ".key or " + prefix + ".pub exists; refusing to overwrite a key (use --force)");
  }
  LINNET_TRY(write_text(key_path, keys.private_pem, 0600, overwrite));
  LINNET_TRY(write_text(pub_path, keys.public_pem, 0644, overwrite));
  return ok_status();
}

SigningKey::SigningKey(std::unique_ptr<Context> context, std::string public_pem, const Sha256Digest& key_id)
    : context_(std::move(context)), public_pem_(std::move(public_pem)), key_id_(key_id) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

Result<SigningKey> SigningKey::from_pem(std::string_view private_pem) {
  auto context = std::make_unique<Context>();
  LINNET_TRY(context->drbg.seed());
  std::string text(private_pem);  // PEM input must be NUL-terminated, length included
  const int rc = mbedtls_pk_parse_key(&context->key.pk, reinterpret_cast<const unsigned char*>(text.c_str()),
                                      text.size() + 1, nullptr, 0, mbedtls_ctr_drbg_random,
                                      &context->drbg.ctr_drbg);
  mbedtls_platform_zeroize(text.data(), text.size());
  if (rc != 0) return Error(ErrorCode::kCorrupt, "signing key: not a PEM private key: " + mbedtls_message(rc));
  if (mbedtls_pk_get_type(&context->key.pk) != MBEDTLS_PK_ECKEY ||
      mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(context->key.pk)) != MBEDTLS_ECP_DP_SECP256R1) {
    return Error(ErrorCode::kUnsupported, "signing key: not an ECDSA P-256 key");
  }
  std::string public_pem = LINNET_TRY(public_pem_of(&context->key.pk));
  const ota::PublicKey public_key = LINNET_TRY(ota::PublicKey::from_pem(public_pem));
  return SigningKey(std::move(context), std::move(public_pem), public_key.key_id());
}

Result<SigningKey> SigningKey::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kNotFound, path + ": cannot open the signing key");
  std::stringstream text;
  text << in.rdbuf();
  auto key = from_pem(text.str());
  if (!key.ok()) return std::move(key).error().with_context(path);
  return key;
}

Result<std::vector<std::uint8_t>> SigningKey::sign(const Sha256Digest& digest) const {
  std::vector<std::uint8_t> sig(MBEDTLS_PK_SIGNATURE_MAX_SIZE);
  std::size_t len = 0;
  const int rc = mbedtls_pk_sign(&context_->key.pk, MBEDTLS_MD_SHA256, digest.data(), digest.size(), sig.data(),
                                 sig.size(), &len, mbedtls_ctr_drbg_random, &context_->drbg.ctr_drbg);
  if (rc != 0) return crypto_error("signing", rc);
  sig.resize(len);
  return sig;
}

}  // namespace linnet::sign
