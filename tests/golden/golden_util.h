// Shared pieces of the golden tests: the reference models of ../shared/models, their
// reference outputs (reference.safetensors, computed by Hugging Face transformers) and
// comparisons.
#pragma once

#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "converter/lib/safetensors.h"
#include "runtime/core/result.h"
#include "runtime/model/executor.h"

namespace linnet::testing {

// A model of ../shared/models and the size of its reference cases as its README states them,
// so that a reference file read short (a prompt or rows missing) fails the counts instead of
// passing on fewer rows.
struct GoldenModel {
  const char* name;             // its directory under ../shared/models
  const char* param_name;       // gtest parameter name: letters, digits and '_' only
  int num_layers;               // hidden states: the embedding and one per layer
  int prompt_count;             // prompt{i}: one prefill each
  int prompt_rows;              // their positions, all compared
  int greedy_count;             // gen{j}: greedy generations
  int long_prompt_tokens;       // long.input_ids, of which the last 64 have reference logits
  std::string dir() const;      // LINNET_SHARED_DIR/models/<name>
};

// D=128, head_dim 64, DeltaNet dk = dv = 32: small heads, 8 layers.
extern const GoldenModel kTinyA;
// The real models' per-head shapes: attention head_dim 256 (8 query / 2 KV heads), DeltaNet
// dk = dv = 128 with 16 key / 32 value heads; D=256, 4 layers; an 1100-token long prompt.
extern const GoldenModel kTinyC;

// For gtest's parameter printing: the model's name, not the pointer.
inline void PrintTo(const GoldenModel* model, std::ostream* os) { *os << model->name; }

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
