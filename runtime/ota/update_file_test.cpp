#include "runtime/ota/update_file.h"

#include <gtest/gtest.h>

namespace linnet::ota {
namespace {

Manifest sample_manifest() {
  Manifest m;
  m.model_name = "moderator-0.8b";
  m.version = 7;
  m.bundle_size = 12345;
  for (std::size_t i = 0; i < 32; ++i) m.bundle_sha256[i] = static_cast<std::uint8_t>(i);
  m.min_runtime = {0, 1, 0};
  m.self_test = SelfTest{"Is this spam? Buy now!", "spam", {}, "Reply SAFE or SPAM."};
  Sha256Digest key{};
  key.fill(0xab);
  m.key_id = key;
  m.created_unix_seconds = 1700000000;
  return m;
}

TEST(UpdateFileTest, ManifestRoundTrips) {
  const Manifest m = sample_manifest();
  auto decoded = decode_manifest(encode_manifest(m));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_EQ(decoded->model_name, m.model_name);
  EXPECT_EQ(decoded->version, 7u);
  EXPECT_EQ(decoded->bundle_size, 12345u);
  EXPECT_EQ(decoded->bundle_sha256, m.bundle_sha256);
  EXPECT_FALSE(decoded->content_sha256.has_value());
  EXPECT_EQ(decoded->min_runtime, (RuntimeVersion{0, 1, 0}));
  ASSERT_TRUE(decoded->self_test.has_value());
  EXPECT_EQ(decoded->self_test->prompt, "Is this spam? Buy now!");
  EXPECT_EQ(decoded->self_test->expected_label, "spam");
  EXPECT_EQ(decoded->self_test->system, "Reply SAFE or SPAM.");
  EXPECT_EQ(decoded->key_id, m.key_id);
  EXPECT_EQ(decoded->created_unix_seconds, 1700000000u);
}

TEST(UpdateFileTest, TokenSelfTestRoundTrips) {
  Manifest m = sample_manifest();
  m.self_test = SelfTest{"Hello", "", {9707, 11, 1879}, ""};
  auto decoded = decode_manifest(encode_manifest(m));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_EQ(decoded->self_test->expected_token_ids, (std::vector<std::uint32_t>{9707, 11, 1879}));
}

TEST(UpdateFileTest, RefusesBadFields) {
  Manifest m = sample_manifest();
  m.model_name = "../../etc/passwd";
  auto r = decode_manifest(encode_manifest(m));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("path separator"), std::string::npos) << r.error().message();

  m = sample_manifest();
  m.version = 0;
  EXPECT_FALSE(decode_manifest(encode_manifest(m)).ok());

  m = sample_manifest();
  m.self_test = SelfTest{"x", "spam", {1}, ""};  // both label and ids
  EXPECT_FALSE(decode_manifest(encode_manifest(m)).ok());

  m = sample_manifest();
  m.bundle_size = 0;
  EXPECT_FALSE(decode_manifest(encode_manifest(m)).ok());
}

TEST(UpdateFileTest, ModelNames) {
  EXPECT_TRUE(validate_model_name("qwen3.5-0.8b_q4").ok());
  EXPECT_FALSE(validate_model_name("").ok());
  EXPECT_FALSE(validate_model_name(".hidden").ok());
  EXPECT_FALSE(validate_model_name("..").ok());
  EXPECT_FALSE(validate_model_name("a/b").ok());
  EXPECT_FALSE(validate_model_name("a\\b").ok());
  EXPECT_FALSE(validate_model_name("a b").ok());
  EXPECT_FALSE(validate_model_name(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(validate_model_name(std::string(65, 'a')).ok());
}

TEST(UpdateFileTest, HeaderRoundTripsAndRejectsGarbage) {
  UpdateHeader h{100, 71, 4096};
  const auto bytes = encode_header(h);
  auto back = decode_header(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->manifest_size, 100u);
  EXPECT_EQ(back->signature_size, 71u);
  EXPECT_EQ(back->bundle_size, 4096u);
  EXPECT_EQ(back->head_size(), 32u + 100u + 71u);

  auto bad = bytes;
  bad[0] = 'X';
  EXPECT_FALSE(decode_header(bad).ok());
  bad = bytes;
  bad[16] = 200;  // signature size 200 > 72
  EXPECT_FALSE(decode_header(bad).ok());
  EXPECT_FALSE(decode_header(std::span(bytes).first(31)).ok());

  // A head shorter than the header says is truncated.
  std::vector<std::uint8_t> head(bytes.begin(), bytes.end());
  head.resize(32 + 100 + 70);
  auto split = split_head(head);
  ASSERT_FALSE(split.ok());
  EXPECT_NE(split.error().message().find("truncated"), std::string::npos);
}

TEST(UpdateFileTest, RuntimeVersionParse) {
  auto v = RuntimeVersion::parse("1.22.333");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (RuntimeVersion{1, 22, 333}));
  EXPECT_FALSE(RuntimeVersion::parse("1.2").ok());
  EXPECT_FALSE(RuntimeVersion::parse("1.2.3.4").ok());
  EXPECT_FALSE(RuntimeVersion::parse("v1.2.3").ok());
  EXPECT_FALSE(RuntimeVersion::parse("1.2.99999").ok());
  EXPECT_LT((RuntimeVersion{0, 1, 0}), (RuntimeVersion{0, 2, 0}));
}

TEST(UpdateFileTest, EveryTruncationOfAManifestIsRefused) {
  const auto bytes = encode_manifest(sample_manifest());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_manifest(std::span(bytes).first(n)).ok()) << n;
  }
}

}  // namespace
}  // namespace linnet::ota
