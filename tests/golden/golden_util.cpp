#include "tests/golden/golden_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace linnet::testing {

// Counts from ../shared/models/README.md and reference.json.
const GoldenModel kTinyA{.name = "qwen35-tiny-a",
                         .param_name = "TinyA",
                         .num_layers = 8,
                         .prompt_count = 4,
                         .prompt_rows = 40 + 43 + 29 + 48,
                         .greedy_count = 2,
                         .long_prompt_tokens = 700};
const GoldenModel kTinyC{.name = "qwen35-tiny-c",
                         .param_name = "TinyC",
                         .num_layers = 4,
                         .prompt_count = 3,
                         .prompt_rows = 41 + 49 + 39,
                         .greedy_count = 2,
                         .long_prompt_tokens = 1100};

std::string GoldenModel::dir() const { return std::string(LINNET_SHARED_DIR) + "/models/" + name; }

Result<ReferenceOutputs> ReferenceOutputs::open(const std::string& model_dir) {
  auto file = LINNET_TRY(convert::SafetensorsFile::open(model_dir + "/reference.safetensors"));
  return ReferenceOutputs(std::move(file));
}

std::vector<float> ReferenceOutputs::floats(const std::string& name) const {
  auto r = file_.read_f32(name);
  EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(r).value() : std::vector<float>{};
}

std::vector<std::int32_t> ReferenceOutputs::ids(const std::string& name) const {
  auto r = file_.read_i64(name);
  EXPECT_TRUE(r.ok()) << name << ": " << (r.ok() ? "" : r.error().message());
  std::vector<std::int32_t> out;
  if (r.ok())
    for (std::int64_t v : r.value()) out.push_back(static_cast<std::int32_t>(v));
  return out;
}

std::vector<std::int64_t> ReferenceOutputs::shape(const std::string& name) const {
  const convert::StTensor* t = file_.find(name);
  return t == nullptr ? std::vector<std::int64_t>{} : t->shape;
}

int argmax(std::span<const float> row) {
  return static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin());
}

float max_abs_diff(std::span<const float> a, std::span<const float> b) {
  float m = 0.0f;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

double kl_divergence(std::span<const float> ref_logits, std::span<const float> test_logits) {
  auto log_softmax = [](std::span<const float> x) {
    const double mx = *std::max_element(x.begin(), x.end());
    double sum = 0.0;
    for (float v : x) sum += std::exp(static_cast<double>(v) - mx);
    const double lse = mx + std::log(sum);
    std::vector<double> out(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) out[i] = static_cast<double>(x[i]) - lse;
    return out;
  };
  const std::vector<double> lp = log_softmax(ref_logits);
  const std::vector<double> lq = log_softmax(test_logits);
  double kl = 0.0;
  for (std::size_t i = 0; i < lp.size(); ++i) kl += std::exp(lp[i]) * (lp[i] - lq[i]);
  return kl;
}

void LogitsComparison::add(std::span<const float> ref, std::span<const float> test, int V) {
  const std::size_t v = static_cast<std::size_t>(V);
  for (std::size_t r = 0; r * v < ref.size() && r * v < test.size(); ++r) {
    const auto a = ref.subspan(r * v, v);
    const auto b = test.subspan(r * v, v);
    max_abs = std::max(max_abs, max_abs_diff(a, b));
    argmax_matches += argmax(a) == argmax(b) ? 1 : 0;
    kl_sum += kl_divergence(a, b);
    ++rows;
  }
}

}  // namespace linnet::testing
