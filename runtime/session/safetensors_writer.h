// Writing float32 tensors as a safetensors file on the device, without a JSON library:
// the header is a small JSON string built by hand. Format: u64 little-endian header length
// N, N bytes of JSON (space-padded to a multiple of 8)
//   {"logits":{"dtype":"F32","shape":[T,V],"data_offsets":[0,4*T*V]}}
// then the little-endian float32 data of each tensor, in order.
// (The host side reads these with converter/lib/safetensors.h.)
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"

namespace linnet {

struct F32Tensor {
  std::string_view name;              // any UTF-8; escaped in the header
  std::vector<std::int64_t> shape;    // product must equal values.size()
  std::span<const float> values;      // borrowed for the call
};

// The JSON header (without the length prefix or padding), for tests.
std::string safetensors_header_json(std::span<const F32Tensor> tensors);

Status write_f32_safetensors(const std::string& path, std::span<const F32Tensor> tensors);

}  // namespace linnet
