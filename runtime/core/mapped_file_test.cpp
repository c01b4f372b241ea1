// MappedFile and drop_file_mapped_pages: the pages of a mapped file touched by reading count
// in this process's resident memory until dropped; dropped pages read back the same bytes.
#include "runtime/core/mapped_file.h"
#include "runtime/core/process_memory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

namespace linnet {
namespace {

// Resident bytes of this process (VmRSS); 0 where unreadable.
std::size_t resident_bytes() {
  const auto m = read_resident_memory();
  return m.ok() ? m->current_bytes : 0;
}

TEST(MappedFile, DroppedPagesLeaveResidentMemoryAndReadBackTheSame) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("linnet-mapped-" + std::to_string(::getpid()));
  constexpr std::size_t kBytes = std::size_t{32} << 20;
  {
    std::vector<char> data(kBytes);
    for (std::size_t i = 0; i < kBytes; ++i) data[i] = static_cast<char>(i * 7 + i / 4096);
    std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(kBytes));
  }
  auto mapped = MappedFile::open(path.string());
  ASSERT_TRUE(mapped.ok()) << mapped.error().message();
  const std::size_t before = resident_bytes();
  ASSERT_GT(before, 0u) << "no /proc/self/status";
  unsigned sum = 0;
  for (std::size_t i = 0; i < kBytes; i += 4096) sum += mapped->data()[i];
  const std::size_t touched = resident_bytes();
  EXPECT_GT(touched, before + (kBytes * 3) / 4) << "reading the mapping made it resident";

  drop_file_mapped_pages(mapped->data(), mapped->size());
  const std::size_t dropped = resident_bytes();
  EXPECT_LT(dropped + (kBytes * 3) / 4, touched) << "dropping released it";

  unsigned again = 0;
  for (std::size_t i = 0; i < kBytes; i += 4096) again += mapped->data()[i];
  EXPECT_EQ(again, sum);
  EXPECT_EQ(mapped->data()[kBytes - 1], static_cast<std::uint8_t>((kBytes - 1) * 7 + (kBytes - 1) / 4096));
  drop_file_mapped_pages(nullptr, 10);  // nothing to do
  drop_file_mapped_pages(mapped->data() + 1, 100);  // no whole page inside: nothing to do
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace linnet
