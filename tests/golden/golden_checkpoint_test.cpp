// Golden test of the executor on qwen35-tiny-a with the checkpoint converted to float32 in
// memory (no bundle involved): logits of every prompt, hidden states after every layer,
// greedy generations, and the 700-token prompt in one prefill and as 636 + 64 decode steps,
// all against reference.safetensors (Hugging Face transformers, float32). Reference kernels
// only: this is the oracle the fast paths are judged by.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/golden/checkpoint_weights.h"
#include "tests/golden/golden_checks.h"

namespace linnet::testing {
namespace {

constexpr float kF32Tolerance = 5e-3f;

TEST(GoldenCheckpointF32, MatchesReference) {
  auto weights = load_checkpoint_f32(tiny_model_dir());
  ASSERT_TRUE(weights.ok()) << weights.error().message();
  auto ref = ReferenceOutputs::open(tiny_model_dir());
  ASSERT_TRUE(ref.ok()) << ref.error().message();

  const GoldenMeasures m = run_golden((*weights)->weights, *ref, reference_path_options());
  std::printf("%s", m.summary("checkpoint f32").c_str());
  for (const LogitsComparison* c : {&m.prompts, &m.greedy, &m.long_one, &m.long_split}) {
    EXPECT_GT(c->rows, 0);
    EXPECT_LT(c->max_abs, kF32Tolerance);
    EXPECT_EQ(c->argmax_matches, c->rows);
  }
  EXPECT_EQ(m.prompts.rows, 40 + 43 + 29 + 48);
  EXPECT_EQ(m.long_one.rows, 64);
  EXPECT_EQ(m.long_split.rows, 64);
  EXPECT_TRUE(m.greedy_identical);
}

TEST(GoldenCheckpointF32, HiddenStatesAfterEveryLayer) {
  auto weights = load_checkpoint_f32(tiny_model_dir());
  ASSERT_TRUE(weights.ok()) << weights.error().message();
  auto ref = ReferenceOutputs::open(tiny_model_dir());
  ASSERT_TRUE(ref.ok()) << ref.error().message();
  const std::vector<float> errors = hidden_state_errors((*weights)->weights, *ref, reference_path_options());
  ASSERT_EQ(errors.size(), 9u);
  for (std::size_t l = 0; l < errors.size(); ++l) {
    std::printf("  hidden.%zu max abs diff %.3g\n", l, static_cast<double>(errors[l]));
    EXPECT_LT(errors[l], kF32Tolerance) << "hidden." << l;
  }
}

}  // namespace
}  // namespace linnet::testing
