// A Hugging Face checkpoint's tensors, from one model.safetensors or several shards named
// by model.safetensors.index.json, keyed by the names the bundle uses: the prefix
// "model.language_model." (Qwen3_5ForConditionalGeneration) or "model." (text-only save)
// is removed; "lm_head.weight" keeps its name. The vision tower (model.visual.*) and the
// multi-token-prediction head (mtp.*) are skipped and counted. Any other name is refused
// when checked against the model (check_against).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/bundle/model_view.h"
#include "runtime/bundle/tensor_catalog.h"
#include "converter/lib/safetensors.h"
#include "runtime/core/result.h"

namespace linnet::convert {

class Checkpoint {
 public:
  // Opens `hf_dir`/model.safetensors.index.json when present, else `hf_dir`/model.safetensors.
  // Every shard is mapped and its header validated (safetensors.h); errors name the file.
  static Result<Checkpoint> open(const std::string& hf_dir);

  struct Entry {
    const StTensor* tensor = nullptr;  // owned by one of shards_
    std::string file;                  // the shard it comes from (for messages)
    std::string source_name;           // the name in the checkpoint
  };

  // The tensor for a bundle name (e.g. "layers.0.linear_attn.A_log"), or nullptr.
  const Entry* find(const std::string& bundle_name) const;

  // Every tensor must be one of `specs` with the spec's shape and a float dtype (f32,
  // f16, bf16), and every spec must be present. Errors name the file and the tensor.
  Status check_against(const std::vector<TensorSpec>& specs) const;

  std::size_t skipped_visual() const { return skipped_visual_; }
  std::size_t skipped_mtp() const { return skipped_mtp_; }
  std::size_t shard_count() const { return shards_.size(); }

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::map<std::string, Entry> entries_;
  std::size_t skipped_visual_ = 0;
  std::size_t skipped_mtp_ = 0;
};

}  // namespace linnet::convert
