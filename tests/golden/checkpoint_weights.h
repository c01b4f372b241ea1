// Test fixture: ModelWeights built straight from a Hugging Face checkpoint directory
// (config.json + model.safetensors), every tensor converted to float32 in memory. Used by
// executor tests that must not depend on the bundle path, and as the pre-bundle oracle.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "runtime/bundle/model_view.h"
#include "runtime/core/result.h"

namespace linnet::testing {

struct CheckpointWeights {
  ModelWeights weights;  // views into `storage` and `names`
  std::deque<std::vector<float>> storage;
  std::deque<std::string> names;
};

// Reads `dir`/config.json (text_config nested or flat) and `dir`/model.safetensors
// (tensors under model.language_model. or model.). The result must not move its deques,
// hence the unique_ptr.
Result<std::unique_ptr<CheckpointWeights>> load_checkpoint_f32(const std::string& dir);

// ../shared/models/qwen35-tiny-a
std::string tiny_model_dir();

}  // namespace linnet::testing
