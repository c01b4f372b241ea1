// The bundle loader: maps a .linnet file and validates it completely before anything
// uses it: the FlatBuffers verifier, then every hyper-parameter, every tokenizer array,
// and every tensor's name, dtype, shape, offset and length against the hyper-parameters
// and the file size. A hostile file yields an Error naming what is wrong
// ("tensor layers.3.self_attn.q_proj.weight: data ends beyond the file"), never a crash.
//
// Everything handed out (ModelWeights, TokenizerSource, strings) is a non-owning view into
// the mapping and lives as long as the Bundle. Moving a Bundle keeps the mapping, so views
// taken before a move stay valid after it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/bundle/bundle_hash.h"
#include "runtime/bundle/model_view.h"
#include "runtime/bundle/tensor_catalog.h"
#include "runtime/core/mapped_file.h"
#include "runtime/core/result.h"
#include "runtime/tokenizer/tokenizer_source.h"

namespace linnet {

struct BundleOpenOptions {
  // Also hash the whole file and compare with content_sha256 (reads every weight page).
  bool verify_sha256 = false;
};

struct ChatTemplateStrings {
  std::string_view im_start;      // "<|im_start|>"
  std::string_view im_end;        // "<|im_end|>"
  std::string_view thinking_on;   // assistant opening with thinking: "<think>\n"
  std::string_view thinking_off;  // "<think>\n\n</think>\n\n"
  bool default_thinking = false;
};

struct GenerationDefaults {
  float temperature = 0.7f;
  int top_k = 20;
  float top_p = 0.8f;
  float min_p = 0.0f;
  float repetition_penalty = 1.0f;
  int max_new_tokens = 512;
};

struct Provenance {
  std::string_view source_model;
  std::string_view converter_version;
  std::string_view quantization;  // "f32", "f16", "q8", "q4"
  std::uint64_t created_unix_seconds = 0;
  bool synthetic = false;
};

// One row of the tensor table, as stored (for `inspect` / `linnet info`).
struct TensorRecord {
  TensorView view;
  TensorClass cls = TensorClass::kLinear;
  std::uint64_t data_offset = 0;
  std::uint64_t scales_offset = 0;  // 0 when the dtype has no scales
};

class Bundle {
 public:
  static Result<Bundle> open(const std::string& path, BundleOpenOptions options = {});

  Bundle(Bundle&&) noexcept = default;
  Bundle& operator=(Bundle&&) noexcept = default;
  Bundle(const Bundle&) = delete;
  Bundle& operator=(const Bundle&) = delete;

  const ModelWeights& weights() const { return weights_; }
  const HyperParams& hyper_params() const { return weights_.hp; }
  const TokenizerSource& tokenizer() const { return tokenizer_; }
  const ChatTemplateStrings& chat_template() const { return chat_; }
  const GenerationDefaults& generation_defaults() const { return generation_; }
  const Provenance& provenance() const { return provenance_; }
  std::string_view architecture() const { return architecture_; }
  std::span<const TensorRecord> tensors() const { return records_; }  // in file order

  const std::string& path() const { return file_.path(); }
  std::uint64_t file_size() const { return file_.size(); }
  std::uint64_t flatbuffer_size() const { return flatbuffer_size_; }  // bytes before the first segment
  std::uint64_t weight_bytes() const { return weight_bytes_; }         // sum of all segment lengths
  std::uint32_t schema_version() const { return schema_version_; }
  std::uint32_t data_alignment() const { return data_alignment_; }

  std::span<const std::uint8_t> content_sha256() const;  // the 32 recorded bytes
  std::string content_sha256_hex() const;
  // The signature bytes in use (empty when unsigned) and the slots the hash skips.
  std::span<const std::uint8_t> signature() const;
  const HashSlots& hash_slots() const { return slots_; }
  std::span<const std::uint8_t> file_bytes() const { return file_.bytes(); }

  // Hashes the file (bundle_hash.h convention) and compares with content_sha256:
  // kVerification on mismatch.
  Status verify_sha256() const;

 private:
  Bundle() = default;

  MappedFile file_;
  ModelWeights weights_;
  TokenizerSource tokenizer_;
  ChatTemplateStrings chat_;
  GenerationDefaults generation_;
  Provenance provenance_;
  std::string_view architecture_;
  std::vector<TensorRecord> records_;
  HashSlots slots_;
  std::uint64_t flatbuffer_size_ = 0;
  std::uint64_t weight_bytes_ = 0;
  std::uint32_t schema_version_ = 0;
  std::uint32_t data_alignment_ = 0;
  std::uint32_t signature_size_ = 0;
};

}  // namespace linnet
