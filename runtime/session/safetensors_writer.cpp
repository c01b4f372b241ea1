#include "runtime/session/safetensors_writer.h"

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "runtime/core/json_text.h"

namespace linnet {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

std::string safetensors_header_json(std::span<const F32Tensor> tensors) {
  std::string json = "{";
  std::uint64_t offset = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const F32Tensor& t = tensors[i];
    if (i > 0) json.push_back(',');
    json += json_quote(t.name);
    json += ":{\"dtype\":\"F32\",\"shape\":[";
    for (std::size_t d = 0; d < t.shape.size(); ++d) {
      if (d > 0) json.push_back(',');
      json += std::to_string(t.shape[d]);
    }
    const std::uint64_t bytes = t.values.size() * sizeof(float);
    json += "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  json.push_back('}');
  return json;
}

Status write_f32_safetensors(const std::string& path, std::span<const F32Tensor> tensors) {
  static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");
  for (const F32Tensor& t : tensors) {
    std::int64_t n = 1;
    for (std::int64_t d : t.shape) {
      if (d < 0) return Error(ErrorCode::kInvalidArgument, "tensor " + std::string(t.name) + ": negative dimension");
      n *= d;
    }
    if (static_cast<std::uint64_t>(n) != t.values.size()) {
      return Error(ErrorCode::kInvalidArgument,
                   "tensor " + std::string(t.name) + ": shape holds " + std::to_string(n) +
                       " values, data has " + std::to_string(t.values.size()));
    }
  }
  std::string header = safetensors_header_json(tensors);
  while (header.size() % 8 != 0) header.push_back(' ');

  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "wb"));
  if (!f) return Error(ErrorCode::kIo, path + ": cannot create: " + std::strerror(errno));
  std::uint8_t length[8];
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) length[i] = static_cast<std::uint8_t>(n >> (8 * i));
  bool ok = std::fwrite(length, 1, 8, f.get()) == 8 &&
            std::fwrite(header.data(), 1, header.size(), f.get()) == header.size();
  for (const F32Tensor& t : tensors) {
    if (!ok) break;
    if (!t.values.empty()) {
      ok = std::fwrite(t.values.data(), sizeof(float), t.values.size(), f.get()) == t.values.size();
    }
  }
  ok = ok && std::fflush(f.get()) == 0;
  if (!ok) return Error(ErrorCode::kIo, path + ": write failed: " + std::strerror(errno));
  return ok_status();
}

}  // namespace linnet
