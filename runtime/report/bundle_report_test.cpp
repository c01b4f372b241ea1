// The shared `linnet info` / `linnet-convert inspect` report: argument parsing and the
// report of a converted reference model (its text and JSON forms agree on the facts).
#include "runtime/report/bundle_report.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "runtime/bundle/bundle.h"
#include "runtime/report/memory_report.h"
#include "converter/lib/convert.h"
#include "converter/lib/test_checkpoint.h"

namespace linnet {
namespace {

Result<BundleReportRequest> parse(std::vector<std::string_view> args, BundleReportRequest defaults = {}) {
  return parse_bundle_report_args(args, std::move(defaults));
}

TEST(BundleReportArgs, ParsesEveryFlag) {
  auto r = parse({"m.linnet", "--json", "--verify", "--tensors", "--context", "512", "--threads", "3"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->path, "m.linnet");
  EXPECT_TRUE(r->json && r->verify && r->tensors);
  EXPECT_EQ(r->context, 512);
  EXPECT_EQ(r->threads, 3);

  BundleReportRequest with_tensors;
  with_tensors.tensors = true;
  auto d = parse({"--no-tensors", "m.linnet"}, with_tensors);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->tensors);
  EXPECT_FALSE(d->json);
  EXPECT_EQ(d->context, 0);
}

TEST(BundleReportArgs, RefusesWhatItDoesNotKnow) {
  for (const auto& args : std::vector<std::vector<std::string_view>>{
           {}, {"--json"}, {"m.linnet", "--context"}, {"m.linnet", "--context", "0"},
           {"m.linnet", "--threads", "-2"}, {"m.linnet", "--threads", "2x"}, {"m.linnet", "--bogus"},
           {"a.linnet", "b.linnet"}}) {
    auto r = parse(args);
    EXPECT_FALSE(r.ok()) << args.size();
    if (!r.ok()) {
      EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
    }
  }
}

TEST(BundleReport, DescribesAConvertedModel) {
  convert::testing::TempDir dir;
  convert::ConvertOptions options;
  options.hf_dir = convert::testing::kTinyDir;
  options.output = dir.file("tiny.linnet");
  options.quant = convert::QuantMode::kQ8;
  options.converter_version = "test";
  ASSERT_TRUE(convert::convert_checkpoint(options).ok());

  BundleReportRequest request;
  request.path = options.output;
  request.verify = true;
  auto text = render_bundle_report(request);
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_NE(text->find("sha256 verified"), std::string::npos) << *text;
  request.json = true;
  auto json = render_bundle_report(request);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(json->front(), '{');
  EXPECT_NE(json->find("\"sha256_verified\":true"), std::string::npos);
  EXPECT_NE(json->find("\"quantization\":\"q8\""), std::string::npos);

  request.path = dir.file("missing.linnet");
  auto missing = render_bundle_report(request);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("missing.linnet"), std::string::npos) << missing.error().message();
}

// Every heap block beside the arena is listed with its bound, and counted in the total.
TEST(MemoryReport, ListsTheHeapBesideTheArena) {
  convert::testing::TempDir dir;
  convert::ConvertOptions options;
  options.hf_dir = convert::testing::kTinyDir;
  options.output = dir.file("tiny.linnet");
  options.quant = convert::QuantMode::kQ4;  // tiled weights: Linnet's kernels and XNNPACK both
  options.converter_version = "test";
  ASSERT_TRUE(convert::convert_checkpoint(options).ok());
  auto bundle = Bundle::open(options.output);
  ASSERT_TRUE(bundle.ok()) << bundle.error().message();
  ExecutorOptions eo;
  eo.context_length = 512;
  auto report = memory_report(*bundle, eo);
  ASSERT_TRUE(report.ok()) << report.error().message();
  std::vector<std::string> names;
  std::uint64_t outside = 0, classify = 0;
  for (const MemoryBound& b : report->outside) {
    names.push_back(b.name);
    outside += b.bytes;
    EXPECT_GT(b.bytes, 0u) << b.name;
  }
  for (const MemoryBound& b : report->classify) {
    names.push_back(b.name);
    classify += b.bytes;
    EXPECT_GT(b.bytes, 0u) << b.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"xnnpack_scratch", "tiled_scratch", "packed_weights", "sampler",
                                             "prefix_snapshots", "label_scorer"}));
  EXPECT_EQ(report->outside_bytes, outside);
  EXPECT_EQ(report->classify_bytes, classify);
  EXPECT_EQ(report->total_bytes, report->mapped_bytes + report->plan.total_bytes + outside);
  const auto bytes_of = [](const MemoryReport& r, const std::string& name) {
    for (const auto* list : {&r.outside, &r.classify})
      for (const MemoryBound& b : *list)
        if (b.name == name) return b.bytes;
    return std::size_t{0};
  };
  // The session's logits [V] f32 and history [512] ids are in the arena (64-byte aligned).
  const auto v = static_cast<std::size_t>(bundle->hyper_params().vocab_size);
  const MemoryRegion* session = report->plan.find("session");
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->bytes, (v * 4 + 63) / 64 * 64 + 512u * 4u);
  EXPECT_EQ(bytes_of(*report, "sampler"), 4 * v * 4);
  // Twice the context: 2 cached prefixes x 2 attention layers x K,V x 2 KV heads x 512 more
  // rows of 64 halves.
  eo.context_length = 1024;
  auto longer = memory_report(*bundle, eo);
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(bytes_of(*longer, "prefix_snapshots") - bytes_of(*report, "prefix_snapshots"),
            2u * 2u * 2u * 2u * 512u * 128u);

  const std::string text = memory_report_text(*report);
  EXPECT_NE(text.find("beside the arena"), std::string::npos) << text;
  EXPECT_NE(text.find("prefix_snapshots"), std::string::npos) << text;
  const std::string json = memory_report_json(*report);
  EXPECT_NE(json.find("\"outside_arena_bytes\":" + std::to_string(outside)), std::string::npos) << json;
  EXPECT_NE(json.find("\"name\":\"xnnpack_scratch\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"classify\":[{\"name\":\"prefix_snapshots\""), std::string::npos) << json;

  // The reference kernels make no linear-backend buffers.
  eo.linear = LinearImpl::kReference;
  auto reference = memory_report(*bundle, eo);
  ASSERT_TRUE(reference.ok());
  EXPECT_EQ(bytes_of(*reference, "xnnpack_scratch") + bytes_of(*reference, "packed_weights"), 0u);
  EXPECT_EQ(bytes_of(*reference, "sampler"), 4 * v * 4);
}

// The JSON report keeps non-ASCII text as UTF-8 (it wrote each byte as \u00XX, which a
// JSON reader decodes to the wrong characters). Expected bytes written by hand.
TEST(BundleReport, JsonKeepsNonAsciiTextAsUtf8) {
  convert::testing::TempDir dir;
  convert::ConvertOptions options;
  options.hf_dir = convert::testing::kTinyDir;
  options.output = dir.file("tiny.linnet");
  options.quant = convert::QuantMode::kQ8;
  options.converter_version = "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC";  // "café 日本"
  ASSERT_TRUE(convert::convert_checkpoint(options).ok());

  BundleReportRequest request;
  request.path = options.output;
  request.json = true;
  auto json = render_bundle_report(request);
  ASSERT_TRUE(json.ok()) << json.error().message();
  EXPECT_NE(json->find("\"converter_version\":\"caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC\""), std::string::npos)
      << *json;
  EXPECT_EQ(json->find("\\u00"), std::string::npos) << *json;
}

}  // namespace
}  // namespace linnet
