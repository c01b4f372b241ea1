// Test support (not part of the converter): a temporary directory, and an editable copy
// of a checkpoint that tests write out as single or sharded safetensors, with edited
// config.json / tokenizer files, to build every layout and every broken input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "converter/lib/safetensors.h"

namespace linnet::convert::testing {

inline const std::string kTinyDir = std::string(LINNET_SHARED_DIR) + "/models/qwen35-tiny-a";

// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Names of the entries in the directory (to check that nothing partial is left).
  std::vector<std::string> entries() const;

 private:
  std::string path_;
};

struct OwnedTensor {
  std::string name;  // as in the checkpoint, e.g. "model.language_model.norm.weight"
  StDType dtype = StDType::kBF16;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;
};

class EditableCheckpoint {
 public:
  // Copies every tensor, config.json, generation_config.json and the tokenizer files.
  static EditableCheckpoint load(const std::string& dir);

  std::vector<OwnedTensor> tensors;
  nlohmann::json config;
  std::string generation_config;  // raw text ("" = no file)
  std::string tokenizer_json;
  std::string tokenizer_config_json;

  OwnedTensor* find(const std::string& name);
  void remove(const std::string& name);
  // Re-encodes a tensor's values in `dtype` (F32, F16 or BF16).
  void convert(const std::string& name, StDType dtype);
  std::vector<float> values(const std::string& name);

  // Writes everything into `dir` (created): model.safetensors, or `shards` files
  // model-0000i-of-0000n.safetensors plus model.safetensors.index.json.
  void write(const std::string& dir, int shards = 1) const;
};

}  // namespace linnet::convert::testing
