// The golden checks against qwen35-tiny-a's reference outputs, for any ModelWeights
// (checkpoint converted in memory, or a bundle of any dtype). Each returns what it
// measured; the tests decide which bounds apply to which dtype.
#pragma once

#include <string>
#include <vector>

#include "bundle/model_view.h"
#include "model/memory_plan.h"
#include "tests/golden/golden_util.h"

namespace linnet::testing {

struct GoldenMeasures {
  LogitsComparison prompts;     // every position of the 4 prompts (one prefill each)
  LogitsComparison greedy;      // step logits of the 2 greedy generations (decode path)
  bool greedy_identical = true;  // greedy token ids equal the reference's
  LogitsComparison long_one;    // 700-token prefill, last 64 rows
  LogitsComparison long_split;  // 636 prefill + 64 decode steps
  std::string summary(const std::string& label) const;
};

// Executor options of the two paths the golden tests run: the reference kernels (the
// oracle: no XNNPACK, reference non-linear kernels, f32 KV cache) and the defaults (the fast path a device runs). context_length is
// set by the checks.
ExecutorOptions reference_path_options();
ExecutorOptions default_path_options();

// Runs every case; gtest failures only for errors returned by the executor.
GoldenMeasures run_golden(const ModelWeights& weights, const ReferenceOutputs& ref,
                          const ExecutorOptions& options);

// Max abs difference of the hidden state after each stage of prompt 0 (stage 0 the
// embeddings, l+1 after layer l; the last reference entry is after the final norm).
std::vector<float> hidden_state_errors(const ModelWeights& weights, const ReferenceOutputs& ref,
                                       const ExecutorOptions& options);

}  // namespace linnet::testing
