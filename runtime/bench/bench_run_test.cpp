// `linnet bench` end to end on the tiny reference model (converted to q8 here), with short
// prompts: every figure is filled and consistent, and the int8 KV cache shows in the memory
// figures.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "runtime/bench/bench.h"
#include "runtime/bundle/bundle.h"
#include "converter/lib/convert.h"
#include "runtime/core/mapped_file.h"
#include "runtime/model/executor.h"
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
    o.executor.threads = 2;
    o.executor.context_length = 256;
    o.short_prompt = 16;
    o.long_prompt = 96;
    o.decode_tokens = 8;
    o.executor.kv_cache = kv;
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

// Pages of [p, p + bytes) (whole pages inside) mapped in this process: /proc/self/pagemap,
// bit 63 of each page's entry. -1 when pagemap cannot be read.
int mapped_pages(const void* p, std::size_t bytes) {
  const PageRange range = whole_pages_inside(p, bytes);
  const int fd = ::open("/proc/self/pagemap", O_RDONLY);
  if (fd < 0) return -1;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  int present = 0;
  for (std::uintptr_t a = reinterpret_cast<std::uintptr_t>(range.begin);
       a < reinterpret_cast<std::uintptr_t>(range.begin) + range.bytes; a += page) {
    std::uint64_t entry = 0;
    if (::pread(fd, &entry, sizeof entry, static_cast<off_t>(a / page * sizeof entry)) != sizeof entry) {
      ::close(fd);
      return -1;
    }
    present += static_cast<int>(entry >> 63);
  }
  ::close(fd);
  return present;
}

// The embedding rows a prompt looks up are not left mapped (fault-around would make most of a
// large embedding resident) when the head runs from XNNPACK's packed copy; with the reference
// head, which reads the tied embedding every token, they stay.
TEST_F(BenchRun, EmbeddingPagesAreDroppedWhenTheHeadDoesNotReadThem) {
  auto bundle = Bundle::open((*dir_ / "tiny-q8.linnet").string());
  ASSERT_TRUE(bundle.ok()) << bundle.error().message();
  const TensorView& embed = bundle->weights().embed_tokens;
  ASSERT_EQ(bundle->weights().lm_head.data, embed.data) << "the tiny model ties its head";
  std::vector<std::int32_t> tokens(100);
  std::mt19937 rng(5);
  for (std::int32_t& t : tokens) t = static_cast<std::int32_t>(rng() % 1024);
  for (const LinearImpl linear : {LinearImpl::kXnnpack, LinearImpl::kLinnet, LinearImpl::kReference}) {
    const bool xnnpack = linear == LinearImpl::kXnnpack;
    ExecutorOptions o;
    o.context_length = 256;
    o.linear = linear;
    auto ex = Executor::create(bundle->weights(), o);
    ASSERT_TRUE(ex.ok()) << ex.error().message();
    std::vector<float> logits(static_cast<std::size_t>(bundle->weights().hp.vocab_size));
    ASSERT_TRUE(ex->forward(tokens, LogitsMode::kLast, logits).ok());
    const int pages = mapped_pages(embed.data, embed.data_bytes);
    ASSERT_GE(pages, 0) << "no /proc/self/pagemap";
    if (xnnpack) {
      EXPECT_EQ(pages, 0) << "the packed head does not read the embedding: its pages are dropped";
    } else {
      EXPECT_GT(pages, 0) << linear_impl_name(linear) << ": this head reads the embedding in place: its pages stay";
    }
  }
}

}  // namespace
}  // namespace linnet::bench
