// Reading safetensors files (host side: the converter and the golden tests).
// Format: u64 little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "BF16", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {...}}
// then the data block; offsets are relative to the end of the header.
// Every offset, length and shape is checked against the file before a view is made.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/mapped_file.h"
#include "runtime/core/result.h"

namespace linnet::convert {

enum class StDType : std::uint8_t { kF32, kF16, kBF16, kI64, kI32, kU8, kI8, kBool, kF64 };

struct StTensor {
  std::string name;
  StDType dtype = StDType::kF32;
  std::vector<std::int64_t> shape;
  std::span<const std::uint8_t> bytes;  // into the mapped file

  std::int64_t elements() const;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`. Errors name the file (and the tensor).
  static Result<SafetensorsFile> open(const std::string& path);

  const std::string& path() const { return file_.path(); }
  const std::map<std::string, StTensor>& tensors() const { return tensors_; }
  const StTensor* find(const std::string& name) const;

  // The tensor converted to float32 (from f32, f16 or bf16).
  Result<std::vector<float>> read_f32(const std::string& name) const;
  // The tensor as int64 (from i64 or i32), for token ids.
  Result<std::vector<std::int64_t>> read_i64(const std::string& name) const;

 private:
  MappedFile file_;
  std::map<std::string, StTensor> tensors_;
};

// Converts one tensor's raw bytes to float32. `t.bytes` must hold elements()*size.
Result<std::vector<float>> to_f32(const StTensor& t);

// Writes float32 tensors to `path` as safetensors (used by tests and `linnet score`).
struct StOutput {
  std::string name;
  std::vector<std::int64_t> shape;
  std::span<const float> values;
};
Status write_safetensors_f32(const std::string& path, std::span<const StOutput> tensors);

// Writes tensors as raw bytes in their own dtypes (tests build checkpoints, shards and
// broken inputs with it). `bytes` must hold elements * dtype size; borrowed for the call.
struct StRawOutput {
  std::string name;
  StDType dtype = StDType::kF32;
  std::vector<std::int64_t> shape;
  std::span<const std::uint8_t> bytes;
};
Status write_safetensors_raw(const std::string& path, std::span<const StRawOutput> tensors);

// "F32", "BF16", ... as safetensors spells them.
std::string_view st_dtype_name(StDType dtype);

float bf16_to_f32(std::uint16_t v);
float f16_to_f32(std::uint16_t v);
std::uint16_t f32_to_bf16(float v);  // round to nearest even
std::uint16_t f32_to_f16(float v);   // round to nearest even

}  // namespace linnet::convert
