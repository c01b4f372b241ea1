// The shared `linnet info` / `linnet-convert inspect` report: argument parsing and the
// report of a converted reference model (its text and JSON forms agree on the facts).
#include "runtime/report/bundle_report.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

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

}  // namespace
}  // namespace linnet
