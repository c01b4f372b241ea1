// `linnet bench` end to end on the tiny reference model (converted to q8 here), with short
// prompts: every figure is filled and consistent, and the int8 KV cache shows in the memory
// figures.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "bench/bench.h"
#include "converter/lib/convert.h"
#include "tests/golden/checkpoint_weights.h"

namespace linnet::bench {
namespace {

namespace fs = std::filesystem;

class BenchRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("linnet-bench-" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    convert::ConvertOptions c;
    c.hf_dir = testing::tiny_model_dir();
    c.output = (*dir_ / "tiny-q8.linnet").string();
    c.quant = convert::QuantMode::kQ8;
    c.converter_version = "bench-test";
    auto report = convert::convert_checkpoint(c);
    ASSERT_TRUE(report.ok()) << report.error().message();
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
  }
  static BenchOptions options(KvCacheType kv) {
    BenchOptions o;
    o.bundle_path = (*dir_ / "tiny-q8.linnet").string();
    o.threads = 2;
    o.context_length = 256;
    o.short_prompt = 16;
    o.long_prompt = 96;
    o.decode_tokens = 8;
    o.kv_cache = kv;
    o.bandwidth_buffer_bytes = std::size_t{16} << 20;
    o.verbose = false;
    return o;
  }
  static fs::path* dir_;
};
fs::path* BenchRun::dir_ = nullptr;

TEST_F(BenchRun, ReportsEveryFigureAndTheKvCacheType) {
  auto f16 = run_bench(options(KvCacheType::kF16));
  ASSERT_TRUE(f16.ok()) << f16.error().message();
  auto int8 = run_bench(options(KvCacheType::kInt8));
  ASSERT_TRUE(int8.ok()) << int8.error().message();
  for (const BenchReport* r : {&*f16, &*int8}) {
    EXPECT_GT(r->prefill_short_tokens_per_second, 0.0);
    EXPECT_GT(r->prefill_long_tokens_per_second, 0.0);
    EXPECT_GT(r->decode_tokens_per_second, 0.0);
    EXPECT_EQ(r->long_prompt_tokens, 96);
    EXPECT_GT(r->measured_bandwidth_bytes_per_second, 0.0);
    EXPECT_GT(r->peak_resident_bytes, 0u);
    EXPECT_LE(r->kv_cache_bytes, r->arena_bytes);
    const std::string text = format_text(*r);
    EXPECT_NE(text.find("prefill 96"), std::string::npos) << text;
    EXPECT_NE(text.find("8 tokens after 96"), std::string::npos) << text;
    EXPECT_NE(format_json(*r).find("\"long_prompt_tokens\": 96"), std::string::npos);
  }
  EXPECT_NE(f16->kernels.find("KV cache f16"), std::string::npos) << f16->kernels;
  EXPECT_NE(int8->kernels.find("KV cache int8"), std::string::npos) << int8->kernels;
  // tiny model: 2 attention layers x K,V x [Hkv 2, ctx 256, hd 64]; int8 adds a 4-byte scale a row.
  EXPECT_EQ(f16->kv_cache_bytes, 2u * 2u * 2u * 256u * 64u * 2u);
  EXPECT_EQ(int8->kv_cache_bytes, 2u * 2u * (2u * 256u * 64u + 2u * 256u * 4u));
  EXPECT_EQ(f16->arena_bytes - int8->arena_bytes, f16->kv_cache_bytes - int8->kv_cache_bytes);
  EXPECT_LT(int8->bytes_per_decoded_token, f16->bytes_per_decoded_token);
}

TEST_F(BenchRun, RefusesPromptsThatDoNotFit) {
  BenchOptions o = options(KvCacheType::kF16);
  o.long_prompt = 250;  // + 8 decode tokens > context 256
  EXPECT_FALSE(run_bench(o).ok());
  o.long_prompt = 8;  // shorter than the 16-token short prompt
  auto r = run_bench(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("shorter"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace linnet::bench
