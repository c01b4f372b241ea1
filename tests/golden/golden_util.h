// Shared pieces of the golden tests: the reference outputs of qwen35-tiny-a
// (reference.safetensors, computed by Hugging Face transformers) and comparisons.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "converter/lib/safetensors.h"
#include "core/result.h"
#include "model/executor.h"

namespace linnet::testing {

class ReferenceOutputs {
 public:
  static Result<ReferenceOutputs> open(const std::string& model_dir);
  std::vector<float> floats(const std::string& name) const;       // aborts the test if missing
  std::vector<std::int32_t> ids(const std::string& name) const;
  std::vector<std::int64_t> shape(const std::string& name) const;
  bool has(const std::string& name) const { return file_.find(name) != nullptr; }

 private:
  explicit ReferenceOutputs(convert::SafetensorsFile f) : file_(std::move(f)) {}
  convert::SafetensorsFile file_;
};

int argmax(std::span<const float> row);
float max_abs_diff(std::span<const float> a, std::span<const float> b);
// KL(p_ref || p_test) of the softmaxes of two logit rows, in nats.
double kl_divergence(std::span<const float> ref_logits, std::span<const float> test_logits);

// Agreement of logits rows [rows, V] with the reference rows.
struct LogitsComparison {
  float max_abs = 0.0f;
  int rows = 0;
  int argmax_matches = 0;
  double kl_sum = 0.0;
  void add(std::span<const float> ref, std::span<const float> test, int V);
};

}  // namespace linnet::testing
