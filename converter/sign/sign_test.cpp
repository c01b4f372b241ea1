#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "converter/sign/signing_key.h"
#include "converter/sign/update_writer.h"
#include "runtime/ota/public_key.h"

namespace linnet::sign {
namespace {

TEST(SignTest, KeyPairSignsAndVerifies) {
  auto keys = generate_key_pair();
  ASSERT_TRUE(keys.ok()) << keys.error().message();
  EXPECT_NE(keys->private_pem.find("BEGIN EC PRIVATE KEY"), std::string::npos);
  EXPECT_NE(keys->public_pem.find("BEGIN PUBLIC KEY"), std::string::npos);

  auto signer = SigningKey::from_pem(keys->private_pem);
  ASSERT_TRUE(signer.ok()) << signer.error().message();
  auto verifier = ota::PublicKey::from_pem(keys->public_pem);
  ASSERT_TRUE(verifier.ok()) << verifier.error().message();
  EXPECT_EQ(signer->key_id(), verifier->key_id());

  const std::string msg = "manifest bytes";
  const Sha256Digest digest = Sha256::of({reinterpret_cast<const std::uint8_t*>(msg.data()), msg.size()});
  auto sig = signer->sign(digest);
  ASSERT_TRUE(sig.ok()) << sig.error().message();
  EXPECT_LE(sig->size(), 72u);
  EXPECT_TRUE(verifier->verify(digest, *sig).ok());

  Sha256Digest other = digest;
  other[0] ^= 1;
  auto bad = verifier->verify(other, *sig);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kVerification);

  // A different key pair does not verify it.
  auto other_keys = generate_key_pair();
  ASSERT_TRUE(other_keys.ok());
  auto other_verifier = ota::PublicKey::from_pem(other_keys->public_pem);
  ASSERT_TRUE(other_verifier.ok());
  EXPECT_NE(other_verifier->key_id(), verifier->key_id());
  EXPECT_FALSE(other_verifier->verify(digest, *sig).ok());
}

TEST(SignTest, KeyFilesHaveModesAndAreNotOverwritten) {
  const std::string dir = testing::TempDir() + "/linnet_sign_test_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  auto keys = generate_key_pair();
  ASSERT_TRUE(keys.ok());
  const std::string prefix = dir + "/vendor";
  std::filesystem::remove(prefix + ".key");
  std::filesystem::remove(prefix + ".pub");
  ASSERT_TRUE(write_key_pair(*keys, prefix, false).ok());
  struct stat st {};
  ASSERT_EQ(::stat((prefix + ".key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = write_key_pair(*keys, prefix, false);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message().find("refusing to overwrite"), std::string::npos);
  EXPECT_TRUE(SigningKey::load(prefix + ".key").ok());
  EXPECT_TRUE(ota::PublicKey::load(prefix + ".pub").ok());
  std::filesystem::remove_all(dir);
}

TEST(SignTest, RejectsNonP256Keys) {
  EXPECT_FALSE(ota::PublicKey::from_pem("not a key").ok());
  EXPECT_FALSE(SigningKey::from_pem("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n").ok());
}

TEST(SignTest, UpdateHeadVerifies) {
  auto keys = generate_key_pair();
  ASSERT_TRUE(keys.ok());
  auto signer = SigningKey::from_pem(keys->private_pem);
  ASSERT_TRUE(signer.ok());
  const std::vector<std::uint8_t> bundle(5000, 0x5a);
  UpdateSpec spec;
  spec.model_name = "tiny";
  spec.version = 3;
  auto update = build_update(bundle, spec, *signer);
  ASSERT_TRUE(update.ok()) << update.error().message();
  auto head = ota::split_head(*update);
  ASSERT_TRUE(head.ok()) << head.error().message();
  EXPECT_EQ(update->size(), head->header.head_size() + bundle.size());
  auto verifier = ota::PublicKey::from_pem(keys->public_pem);
  ASSERT_TRUE(verifier.ok());
  EXPECT_TRUE(verifier->verify(head->manifest_sha256(), head->signature()).ok());
  auto manifest = ota::decode_manifest(head->manifest_bytes());
  ASSERT_TRUE(manifest.ok());
  EXPECT_EQ(manifest->bundle_sha256, Sha256::of(bundle));
  EXPECT_EQ(manifest->key_id, signer->key_id());

  spec.model_name = "a/b";
  auto bad = build_update(bundle, spec, *signer);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("refusing to sign"), std::string::npos);
}

}  // namespace
}  // namespace linnet::sign
