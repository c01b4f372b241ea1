#include "runtime/session/safetensors_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include <unistd.h>

#include "converter/lib/safetensors.h"

namespace linnet {
namespace {

TEST(SafetensorsWriter, HeaderIsPlainJson) {
  const float v[6] = {};
  const F32Tensor t[] = {{"logits", {2, 3}, v}, {"a\"b", {6}, v}};
  EXPECT_EQ(safetensors_header_json(t),
            "{\"logits\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
            "\"a\\\"b\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[24,48]}}");
}

TEST(SafetensorsWriter, HostReaderReadsWhatWeWrite) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("linnet_st_writer_" + std::to_string(::getpid()) + ".safetensors"))
                               .string();
  std::vector<float> logits;
  for (int i = 0; i < 3 * 5; ++i) logits.push_back(static_cast<float>(i) * 0.5f - 3.0f);
  const F32Tensor t[] = {{"logits", {3, 5}, logits}};
  ASSERT_TRUE(write_f32_safetensors(path, t).ok());

  auto file = convert::SafetensorsFile::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message();
  const convert::StTensor* st = file->find("logits");
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->shape, (std::vector<std::int64_t>{3, 5}));
  auto read = file->read_f32("logits");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, logits);
  std::remove(path.c_str());
}

TEST(SafetensorsWriter, ShapeMustMatchData) {
  const float v[4] = {};
  const F32Tensor t[] = {{"x", {2, 3}, v}};
  EXPECT_FALSE(write_f32_safetensors("/tmp/never_written.safetensors", t).ok());
}

}  // namespace
}  // namespace linnet
