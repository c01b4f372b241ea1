// Reading a Hugging Face config.json (and generation_config.json) into the hyper-
// parameters a bundle records. Both Qwen3.5 layouts are accepted:
//   model_type "qwen3_5"      (Qwen3_5ForConditionalGeneration): the text model in text_config;
//   model_type "qwen3_5_text" (Qwen3_5ForCausalLM): a flat config.
// rope_theta and partial_rotary_factor come from rope_parameters (or the older top-level
// keys); layer_types is honoured when given, else full_attention_interval (default 4).
#pragma once

#include <string>

#include "runtime/bundle/bundle.h"
#include "runtime/bundle/model_view.h"
#include "runtime/core/result.h"

namespace linnet::convert {

struct ModelConfigData {
  HyperParams hp;
  std::string model_type;     // as found at the top level ("qwen3_5" or "qwen3_5_text")
  std::string name_or_path;   // "_name_or_path" when present
};

// Errors (kCorrupt for malformed JSON or a missing/mistyped field, kUnsupported for an
// unknown model_type) name `origin` and the field.
Result<ModelConfigData> parse_hf_config(const std::string& json_text, const std::string& origin);

// Reads and parses `path` (config.json).
Result<ModelConfigData> read_hf_config(const std::string& path);

// generation_config.json: temperature, top_k, top_p, min_p, repetition_penalty and
// max_new_tokens override the defaults; a missing file gives the defaults.
Result<GenerationDefaults> read_generation_config(const std::string& path);

// Whole file as a string; kNotFound / kIo name the file.
Result<std::string> read_text_file(const std::string& path);

}  // namespace linnet::convert
