#include "runtime/session/prefix_state_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <unistd.h>

namespace linnet {
namespace {

class PrefixStateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("linnet_prefix_state_test_" + std::to_string(::getpid()) + ".bin"))
                .string();
    key_.bundle_sha256.fill(0xab);
    const std::int32_t ids[] = {994, 8, 12, 995};
    key_.prefix_sha256 = hash_token_ids(ids);
    key_.prefix_tokens = 4;
    for (int i = 0; i < 1000; ++i) state_.push_back(static_cast<std::uint8_t>(i * 7));
  }
  void TearDown() override { std::remove(path_.c_str()); }

  std::vector<char> file_bytes() const {
    std::ifstream in(path_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  void write_bytes(const std::vector<char>& bytes) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  std::string path_;
  PrefixStateKey key_;
  std::vector<std::uint8_t> state_;
};

TEST_F(PrefixStateFileTest, RoundTrips) {
  ASSERT_TRUE(write_prefix_state_file(path_, key_, state_).ok());
  EXPECT_EQ(file_bytes().size(), kPrefixStateHeaderBytes + state_.size());
  auto read = read_prefix_state_file(path_, key_);
  ASSERT_TRUE(read.ok()) << read.error().message();
  EXPECT_EQ(*read, state_);
}

TEST_F(PrefixStateFileTest, MissingFileIsNotFound) {
  auto read = read_prefix_state_file(path_ + ".absent", key_);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code(), ErrorCode::kNotFound);
}

TEST_F(PrefixStateFileTest, OtherBundleIsRejected) {
  ASSERT_TRUE(write_prefix_state_file(path_, key_, state_).ok());
  PrefixStateKey other = key_;
  other.bundle_sha256[5] ^= 1;
  auto read = read_prefix_state_file(path_, other);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code(), ErrorCode::kVerification);
  EXPECT_NE(read.error().message().find("another model"), std::string::npos);
}

TEST_F(PrefixStateFileTest, OtherPrefixIsRejected) {
  ASSERT_TRUE(write_prefix_state_file(path_, key_, state_).ok());
  PrefixStateKey other = key_;
  const std::int32_t ids[] = {994, 8, 13, 995};
  other.prefix_sha256 = hash_token_ids(ids);
  auto read = read_prefix_state_file(path_, other);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code(), ErrorCode::kVerification);
  EXPECT_NE(read.error().message().find("another prompt prefix"), std::string::npos);
}

TEST_F(PrefixStateFileTest, FlippedStateByteIsCorrupt) {
  ASSERT_TRUE(write_prefix_state_file(path_, key_, state_).ok());
  auto bytes = file_bytes();
  bytes[kPrefixStateHeaderBytes + 500] ^= 0x10;
  write_bytes(bytes);
  auto read = read_prefix_state_file(path_, key_);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code(), ErrorCode::kCorrupt);
  EXPECT_NE(read.error().message().find("SHA-256"), std::string::npos);
}

TEST_F(PrefixStateFileTest, TruncatedOrForeignFilesAreCorrupt) {
  ASSERT_TRUE(write_prefix_state_file(path_, key_, state_).ok());
  auto bytes = file_bytes();
  write_bytes(std::vector<char>(bytes.begin(), bytes.end() - 10));
  auto truncated = read_prefix_state_file(path_, key_);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error().code(), ErrorCode::kCorrupt);

  write_bytes(std::vector<char>(bytes.begin(), bytes.begin() + 50));
  auto short_header = read_prefix_state_file(path_, key_);
  ASSERT_FALSE(short_header.ok());
  EXPECT_EQ(short_header.error().code(), ErrorCode::kCorrupt);

  bytes[0] = 'X';
  write_bytes(bytes);
  auto bad_magic = read_prefix_state_file(path_, key_);
  ASSERT_FALSE(bad_magic.ok());
  EXPECT_NE(bad_magic.error().message().find("magic"), std::string::npos);
}

TEST(HashTokenIds, DependsOnEveryIdAndOrder) {
  const std::int32_t a[] = {1, 2, 3};
  const std::int32_t b[] = {1, 3, 2};
  const std::int32_t c[] = {1, 2};
  EXPECT_NE(hash_token_ids(a), hash_token_ids(b));
  EXPECT_NE(hash_token_ids(a), hash_token_ids(c));
  EXPECT_EQ(hash_token_ids(a), hash_token_ids(a));
}

}  // namespace
}  // namespace linnet
