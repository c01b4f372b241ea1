// `linnet tokenize` end to end: the binary on a converted bundle gives the Hugging Face
// ids of tokenizer cases and decodes them back.
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "converter/lib/convert.h"
#include "converter/lib/test_checkpoint.h"

namespace linnet {
namespace {

using convert::testing::kTinyDir;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(TokenizeCommand, EncodesAndDecodesCases) {
  convert::testing::TempDir dir;
  convert::ConvertOptions options;
  options.hf_dir = kTinyDir;
  options.output = dir.file("tiny.linnet");
  options.quant = convert::QuantMode::kF32;
  options.converter_version = "test";
  ASSERT_TRUE(convert::convert_checkpoint(options).ok());

  const auto root = nlohmann::json::parse(read_file(kTinyDir + "/tokenizer_cases.json"), nullptr, false);
  ASSERT_FALSE(root.is_discarded());
  const std::string linnet = LINNET_BINARY;
  const std::string in = dir.file("in.txt"), out = dir.file("out.txt");
  int checked = 0;
  for (std::size_t i = 0; i < root["cases"].size(); i += 100) {
    const auto& c = root["cases"][i];
    write_file(in, c["text"].get<std::string>());
    const std::string encode = linnet + " tokenize " + options.output + " < " + in + " > " + out;
    ASSERT_EQ(std::system(encode.c_str()), 0) << encode;
    const std::string json_ids = read_file(out);
    const auto ids = nlohmann::json::parse(json_ids, nullptr, false);
    ASSERT_FALSE(ids.is_discarded()) << json_ids;
    EXPECT_EQ(ids, c["ids"]) << c["text"].dump();

    // Decode the expected ids from a comma-separated list.
    std::string list;
    for (const auto& id : c["ids"]) list += (list.empty() ? "" : ",") + std::to_string(id.get<int>());
    write_file(in, list);
    const std::string decode = linnet + " tokenize " + options.output + " --decode < " + in + " > " + out;
    ASSERT_EQ(std::system(decode.c_str()), 0) << decode;
    // The case texts are NFC-stable except for combining sequences; compare by re-encoding.
    write_file(in, read_file(out));
    ASSERT_EQ(std::system(encode.c_str()), 0);
    EXPECT_EQ(nlohmann::json::parse(read_file(out), nullptr, false), c["ids"]) << c["text"].dump();
    ++checked;
  }
  EXPECT_GE(checked, 15);

  // Bad input: exit status 1 (not valid UTF-8) and 2 (unparsable ids).
  write_file(in, "\xC3(");
  EXPECT_NE(std::system((linnet + " tokenize " + options.output + " < " + in + " > " + out + " 2>/dev/null").c_str()), 0);
  write_file(in, "1,x");
  EXPECT_NE(std::system((linnet + " tokenize " + options.output + " --decode < " + in + " > " + out + " 2>/dev/null").c_str()), 0);
}

}  // namespace
}  // namespace linnet
