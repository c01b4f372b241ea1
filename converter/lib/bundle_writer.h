// Writes a bundle (runtime/bundle/bundle.fbs) in one pass, without holding the weights:
//
//   1. create(): the tensor plan (names, dtypes, shapes) fixes every segment's length, so
//      the FlatBuffer is built (twice: once to learn its size, once with the final
//      offsets; ForceDefaults keeps the two the same size), and written to a temporary
//      file beside the output with content_sha256, signature and signature_size zero.
//   2. write_tensor(), once per planned tensor in plan order: data, then scales, each
//      starting at a multiple of the alignment. The SHA-256 runs over the bytes as written
//      (the hash-exempt fields are zero in them, so this is the bundle_hash.h digest).
//   3. finish(): writes the digest into content_sha256, fsyncs, renames the temporary
//      file over the output and fsyncs the directory.
// A writer destroyed before finish() removes its temporary file: a failed conversion
// leaves nothing behind. Write errors name the output; a full disk is kNoSpace.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/bundle/bundle.h"
#include "runtime/bundle/model_view.h"
#include "converter/lib/tokenizer_json.h"
#include "runtime/core/result.h"
#include "runtime/core/sha256.h"

namespace linnet::convert {

struct ProvenanceData {
  std::string source_model;
  std::string converter_version;
  std::string quantization;  // "f32", "f16", "q8", "q4"
  std::uint64_t created_unix_seconds = 0;
  bool synthetic = false;
};

struct BundleContents {
  HyperParams hp;
  std::string architecture = "qwen3_5";
  const TokenizerData* tokenizer = nullptr;  // borrowed for create()
  ChatTemplateData chat;
  GenerationDefaults generation;
  ProvenanceData provenance;
  std::uint32_t data_alignment = 64;  // a power of two >= 64 (the page size on request)
};

struct PlannedTensor {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<std::int64_t> shape;
  std::uint32_t block_size = 0;  // Q4 only
};

class BundleWriter {
 public:
  static Result<BundleWriter> create(const std::string& path, const BundleContents& contents,
                                     std::vector<PlannedTensor> plan);

  BundleWriter(BundleWriter&&) noexcept;
  BundleWriter& operator=(BundleWriter&&) noexcept;
  ~BundleWriter();

  // The next planned tensor's bytes (borrowed for the call); lengths must match the plan.
  Status write_tensor(std::span<const std::uint8_t> data, std::span<const std::uint8_t> scales);

  // All tensors written: record the hash and move the file into place. Returns the
  // content SHA-256.
  Result<Sha256Digest> finish();

  std::size_t tensors_written() const;
  std::uint64_t planned_file_size() const;

 private:
  struct State;
  explicit BundleWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace linnet::convert
