// `linnet classify --bench`: classification latency and throughput of a bundle, with and
// without the prefix cache, on prompts of random token ids in the chat layout:
//   <|im_start|>system\n [system_tokens] <|im_end|>\n<|im_start|>user\n      (the prefix)
//   [message_tokens] <|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n
// and single-token labels (or --labels tokenized). Speed does not depend on the ids.
#pragma once

#include <string>
#include <vector>

#include "runtime/session/classifier.h"
#include "runtime/session/session.h"

namespace linnet::bench {

struct ClassifyBenchOptions {
  int runs = 10;             // measured requests per mode (after one warm-up)
  int system_tokens = 60;
  int message_tokens = 30;
  std::vector<std::string> labels;  // empty: 3 random single-token labels
  bool score_end_token = false;
  bool json = false;
  std::string bundle_path;   // for the report
};

int run_classify_bench(Session& session, const ClassifyBenchOptions& options);

}  // namespace linnet::bench
