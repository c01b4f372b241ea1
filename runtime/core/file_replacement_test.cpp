#include "runtime/core/file_replacement.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace linnet {
namespace {

namespace fs = std::filesystem;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class FileReplacementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("linnet-replace-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "f.bin").string();
    std::ofstream(path_, std::ios::binary) << "old";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string temp() const { return path_ + ".tmp." + std::to_string(::getpid()); }

  fs::path dir_;
  std::string path_;
};

TEST_F(FileReplacementTest, CommitReplacesTheFileWithThePartsInOrder) {
  ASSERT_TRUE(replace_file(path_, {bytes_of("new "), bytes_of(""), bytes_of("content")}).ok());
  EXPECT_EQ(slurp(path_), "new content");
  EXPECT_FALSE(fs::exists(temp()));
}

TEST_F(FileReplacementTest, WithoutCommitTheOldFileStaysAndTheTemporaryGoes) {
  {
    auto file = FileReplacement::create(path_);
    ASSERT_TRUE(file.ok()) << file.error().message();
    ASSERT_TRUE(file->write(bytes_of("half")).ok());
    EXPECT_TRUE(fs::exists(temp()));
    EXPECT_EQ(slurp(path_), "old");
  }
  EXPECT_EQ(slurp(path_), "old");
  EXPECT_FALSE(fs::exists(temp()));
}

TEST_F(FileReplacementTest, AMissingDirectoryIsAnIoErrorNamingThePath) {
  const std::string missing = (dir_ / "no" / "f.bin").string();
  const Status s = replace_file(missing, {bytes_of("x")});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), ErrorCode::kIo);
  EXPECT_NE(s.error().message().find(missing), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace linnet
