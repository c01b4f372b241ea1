// The golden checks against a reference model's outputs (../shared/models), for any ModelWeights
// (checkpoint converted in memory, or a bundle of any dtype). Each returns what it
// measured; the tests decide which bounds apply to which dtype.
#pragma once

#include <string>
#include <vector>

#include "runtime/bundle/model_view.h"
#include "runtime/model/memory_plan.h"
#include "tests/golden/golden_util.h"

namespace linnet::testing {

// Which cases run_golden runs. The long prompt is most of the time (tiny-c's 1100 tokens,
// twice, cost minutes of CPU under qemu); slow targets run a subset.
struct GoldenCases {
  bool prompts = true;       // every prompt in one prefill
  bool greedy = true;        // the greedy generations, prefill then decode
  bool long_prefill = true;  // the long prompt in one forward
  bool long_decode = true;   // the long prompt but 64 in one forward, then 64 decode steps
};

struct GoldenMeasures {
  GoldenCases cases;            // what was run
  LogitsComparison prompts;     // every position of every prompt (one prefill each)
  LogitsComparison greedy;      // step logits of the greedy generations (decode path)
  int generations = 0;
  bool greedy_identical = true;  // greedy token ids equal the reference's
  int long_prompt_tokens = 0;   // 0 when neither long case was run
  LogitsComparison long_one;    // long prompt in one prefill, last 64 rows
  LogitsComparison long_split;  // long prompt but 64 in one prefill, then 64 decode steps
  LogitsComparison all() const;  // every row above
  std::string summary(const std::string& label) const;
  // One line to re-read the figures from a test log (grep "golden figures"):
  // "golden figures <label>: prompts top1 <fraction> meanKL <nats> maxabs <logit> rows <n>
  //  | all <the same over every row run> | greedy identical|DIFFER"
  std::string figures_line(const std::string& label) const;
};

// Executor options of the two paths the golden tests run: the reference kernels (the
// oracle: no XNNPACK, reference non-linear kernels, f32 KV cache) and the defaults (the fast path a device runs). context_length is
// set by the checks.
ExecutorOptions reference_path_options();
ExecutorOptions default_path_options();

// Runs every case; gtest failures only for errors returned by the executor.
GoldenMeasures run_golden(const ModelWeights& weights, const ReferenceOutputs& ref,
                          const ExecutorOptions& options, GoldenCases cases = {});

// Max abs difference of the hidden state after each stage of prompt 0 (stage 0 the
// embeddings, l+1 after layer l; the last reference entry is after the final norm).
std::vector<float> hidden_state_errors(const ModelWeights& weights, const ReferenceOutputs& ref,
                                       const ExecutorOptions& options);

}  // namespace linnet::testing
