// linnet-convert as a user runs it: exit codes (0 ok, 1 failure with a message on stderr,
// 2 usage), the printed summary, `inspect --json`, and deterministic synthetic bundles.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "converter/lib/test_checkpoint.h"

namespace linnet::convert {
namespace {

using testing::kTinyDir;
using testing::TempDir;

struct ToolRun {
  int code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

ToolRun run(const TempDir& tmp, const std::string& args, const std::string& env = "") {
  const std::string cmd = env + " " + LINNET_CONVERT_BINARY + " " + args + " >" + tmp.file("stdout") + " 2>" +
                          tmp.file("stderr");
  const int status = std::system(cmd.c_str());
  ToolRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(tmp.file("stdout"));
  r.err = slurp(tmp.file("stderr"));
  return r;
}

TEST(Tool, UsageErrorsExitTwo) {
  TempDir tmp;
  EXPECT_EQ(run(tmp, "").code, 2);
  EXPECT_EQ(run(tmp, kTinyDir + " --quant q4").code, 2);  // no -o
  const ToolRun bad_quant = run(tmp, kTinyDir + " -o " + tmp.file("m.linnet") + " --quant q3");
  EXPECT_EQ(bad_quant.code, 2);
  EXPECT_NE(bad_quant.err.find("unknown quantization 'q3'"), std::string::npos) << bad_quant.err;
  EXPECT_EQ(run(tmp, kTinyDir + " -o " + tmp.file("m.linnet") + " --quant q4 --frobnicate").code, 2);
  EXPECT_EQ(run(tmp, "inspect").code, 2);
  const ToolRun help = run(tmp, "help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("inspect"), std::string::npos);
}

// Each subcommand names what is wrong, and --help / `help CMD` print its usage with exit 0.
TEST(Tool, MessagesNameTheBadArgument) {
  TempDir tmp;
  const struct {
    std::string args, message;
  } cases[] = {
      {"keygen -o " + tmp.file("v") + " --frobnicate", "linnet-convert keygen: unknown option --frobnicate"},
      {"keygen", "linnet-convert keygen: -o <prefix> is required"},
      {"keygen -o", "-o needs a value"},
      {"sign m.linnet --key k --version 2 -o u.lnu --label X", "linnet-convert sign: unknown option --label"},
      {"sign m.linnet --key k --version two -o u.lnu", "--version wants a whole number (got 'two')"},
      {"sign m.linnet --key k -o u.lnu", "--version N is required"},
      {"inspect m.linnet --threads 0", "--threads must be at least 1 (got 0)"},
      {"inspect m.linnet --frobnicate", "unknown option --frobnicate"},
  };
  for (const auto& c : cases) {
    const ToolRun r = run(tmp, c.args);
    EXPECT_EQ(r.code, 2) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
  for (const std::string command : {"convert", "inspect", "keygen", "sign"}) {
    const ToolRun flag = run(tmp, command + " --help");
    EXPECT_EQ(flag.code, 0) << command << "\n" << flag.err;
    EXPECT_NE(flag.out.find("usage: linnet-convert"), std::string::npos) << command << "\n" << flag.out;
    const ToolRun help = run(tmp, "help " + command);
    EXPECT_EQ(help.code, 0) << command;
    EXPECT_EQ(help.out, flag.out) << command;
  }
}

TEST(Tool, ConvertPrintsSummaryAndInspectReadsIt) {
  TempDir tmp;
  const std::string out = tmp.file("m.linnet");
  const ToolRun conv = run(tmp, kTinyDir + " -o " + out + " --quant q4");
  ASSERT_EQ(conv.code, 0) << conv.err;
  EXPECT_NE(conv.out.find("skipping 21 vision tensors"), std::string::npos) << conv.out;
  EXPECT_NE(conv.out.find("quantization error by tensor class"), std::string::npos);
  EXPECT_EQ(conv.out.find("layers.0.mlp.up_proj.weight"), std::string::npos);  // per tensor only when verbose
  const ToolRun verbose = run(tmp, "convert " + kTinyDir + " -o " + out + " --quant q8 --verbose");
  ASSERT_EQ(verbose.code, 0) << verbose.err;
  EXPECT_NE(verbose.out.find("layers.0.mlp.up_proj.weight"), std::string::npos);

  const ToolRun text = run(tmp, "inspect " + out + " --verify");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("sha256 verified"), std::string::npos);
  EXPECT_NE(text.out.find("memory plan"), std::string::npos);
  EXPECT_NE(text.out.find("layers.7.self_attn.o_proj.weight"), std::string::npos);

  const ToolRun json = run(tmp, "inspect " + out + " --json --context 512");
  ASSERT_EQ(json.code, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << json.out.substr(0, 200);
  EXPECT_EQ(doc["config"]["hidden_size"], 128);
  EXPECT_EQ(doc["provenance"]["quantization"], "q8");
  EXPECT_EQ(doc["tensors"].size(), 108u);
  EXPECT_EQ(doc["memory"]["context_length"], 512);
  EXPECT_GT(doc["memory"]["arena_bytes"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(doc["memory"]["mapped_bytes"], doc["file_bytes"]);
}

TEST(Tool, FailuresExitOneWithAMessageAndNoOutput) {
  TempDir tmp;
  const std::string out = tmp.file("m.linnet");
  const ToolRun missing = run(tmp, tmp.file("nowhere") + " -o " + out + " --quant f32");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("nowhere"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::ifstream(out).good());

  {
    std::ofstream bad(tmp.file("bad.linnet"), std::ios::binary);
    bad << "LNNT not really a bundle";
  }
  const ToolRun inspect = run(tmp, "inspect " + tmp.file("bad.linnet"));
  EXPECT_EQ(inspect.code, 1);
  EXPECT_NE(inspect.err.find("bad.linnet"), std::string::npos) << inspect.err;
}

TEST(Tool, SyntheticIsDeterministicPerSeed) {
  TempDir tmp;
  const std::string config = std::string(LINNET_SHARED_DIR) + "/models/qwen35-tiny-a/config.json";
  const std::string env = "SOURCE_DATE_EPOCH=1700000000";
  ASSERT_EQ(run(tmp, "--synthetic " + config + " -o " + tmp.file("a.linnet") + " --quant q4 --seed 5", env).code, 0);
  ASSERT_EQ(run(tmp, "--synthetic " + config + " -o " + tmp.file("b.linnet") + " --quant q4 --seed 5 --threads 1", env).code, 0);
  ASSERT_EQ(run(tmp, "--synthetic " + config + " -o " + tmp.file("c.linnet") + " --quant q4 --seed 6", env).code, 0);
  const std::string a = slurp(tmp.file("a.linnet"));
  EXPECT_GT(a.size(), 100000u);
  EXPECT_TRUE(a == slurp(tmp.file("b.linnet")));  // same seed, other thread count
  EXPECT_FALSE(a == slurp(tmp.file("c.linnet")));
  const ToolRun info = run(tmp, "inspect " + tmp.file("a.linnet") + " --verify --no-tensors");
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find("synthetic weights"), std::string::npos);
}

}  // namespace
}  // namespace linnet::convert
