// Golden test of the executor on each reference model (qwen35-tiny-a, and qwen35-tiny-c with
// the real per-head shapes) with the checkpoint converted to float32 in memory (no bundle
// involved): logits of every prompt, hidden states after every layer, greedy generations,
// and the long prompt in one prefill and as prefill + 64 decode steps, all against
// reference.safetensors (Hugging Face transformers, float32). Reference kernels only: this is
// the oracle the fast paths are judged by.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/golden/checkpoint_weights.h"
#include "tests/golden/golden_checks.h"

namespace linnet::testing {
namespace {

// The README's tolerance for a correct float32 implementation, for every model.
constexpr float kF32Tolerance = 5e-3f;

class GoldenCheckpointF32 : public ::testing::TestWithParam<const GoldenModel*> {
 protected:
  static const GoldenModel& model() { return *GetParam(); }
};

TEST_P(GoldenCheckpointF32, MatchesReference) {
  auto weights = load_checkpoint_f32(model().dir());
  ASSERT_TRUE(weights.ok()) << weights.error().message();
  auto ref = ReferenceOutputs::open(model().dir());
  ASSERT_TRUE(ref.ok()) << ref.error().message();

  const GoldenMeasures m = run_golden((*weights)->weights, *ref, reference_path_options());
  const std::string label = std::string(model().name) + " checkpoint f32, reference";
  std::printf("%s%s", m.summary(label).c_str(), m.figures_line(label).c_str());
  for (const LogitsComparison* c : {&m.prompts, &m.greedy, &m.long_one, &m.long_split}) {
    EXPECT_GT(c->rows, 0);
    EXPECT_LT(c->max_abs, kF32Tolerance);
    EXPECT_EQ(c->argmax_matches, c->rows);
  }
  EXPECT_EQ(m.prompts.rows, model().prompt_rows);
  EXPECT_EQ(m.generations, model().greedy_count);
  EXPECT_EQ(m.long_prompt_tokens, model().long_prompt_tokens);
  EXPECT_EQ(m.long_one.rows, 64);
  EXPECT_EQ(m.long_split.rows, 64);
  EXPECT_TRUE(m.greedy_identical);
}

TEST_P(GoldenCheckpointF32, HiddenStatesAfterEveryLayer) {
  auto weights = load_checkpoint_f32(model().dir());
  ASSERT_TRUE(weights.ok()) << weights.error().message();
  auto ref = ReferenceOutputs::open(model().dir());
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  const std::vector<float> errors = hidden_state_errors((*weights)->weights, *ref, reference_path_options());
  ASSERT_EQ(errors.size(), static_cast<std::size_t>(model().num_layers + 1));
  for (std::size_t l = 0; l < errors.size(); ++l) {
    std::printf("  %s hidden.%zu max abs diff %.3g\n", model().name, l, static_cast<double>(errors[l]));
    EXPECT_LT(errors[l], kF32Tolerance) << model().name << " hidden." << l;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, GoldenCheckpointF32, ::testing::Values(&kTinyA, &kTinyC),
                         [](const ::testing::TestParamInfo<const GoldenModel*>& param_info) {
                           return std::string(param_info.param->param_name);
                         });

}  // namespace
}  // namespace linnet::testing
