#include "converter/lib/safetensors.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "runtime/core/file_replacement.h"

namespace linnet::convert {
namespace {

Result<StDType> parse_dtype(const std::string& s) {
  if (s == "F32") return StDType::kF32;
  if (s == "F16") return StDType::kF16;
  if (s == "BF16") return StDType::kBF16;
  if (s == "I64") return StDType::kI64;
  if (s == "I32") return StDType::kI32;
  if (s == "U8") return StDType::kU8;
  if (s == "I8") return StDType::kI8;
  if (s == "BOOL") return StDType::kBool;
  if (s == "F64") return StDType::kF64;
  return Error(ErrorCode::kUnsupported, "unsupported dtype " + s);
}

std::size_t dtype_size(StDType d) {
  switch (d) {
    case StDType::kF64: case StDType::kI64: return 8;
    case StDType::kF32: case StDType::kI32: return 4;
    case StDType::kF16: case StDType::kBF16: return 2;
    case StDType::kU8: case StDType::kI8: case StDType::kBool: return 1;
  }
  return 1;
}

}  // namespace

std::int64_t StTensor::elements() const {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

float bf16_to_f32(std::uint16_t v) { return std::bit_cast<float>(static_cast<std::uint32_t>(v) << 16); }

std::uint16_t f32_to_bf16(float f) {
  std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  if (std::isnan(f)) return static_cast<std::uint16_t>((u >> 16) | 0x40);
  u += 0x7FFF + ((u >> 16) & 1);
  return static_cast<std::uint16_t>(u >> 16);
}

float f16_to_f32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1F;
  std::uint32_t mant = h & 0x3FF;
  std::uint32_t out;
  if (exp == 0) {
    if (mant == 0) {
      out = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      do { ++e; mant <<= 1; } while ((mant & 0x400) == 0);
      out = sign | (static_cast<std::uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3FF) << 13);
    }
  } else if (exp == 31) {
    out = sign | 0x7F800000 | (mant << 13);
  } else {
    out = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(out);
}

std::uint16_t f32_to_f16(float f) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000);
  const std::uint32_t au = u & 0x7FFFFFFF;
  if (au >= 0x7F800000) return static_cast<std::uint16_t>(sign | 0x7C00 | (au > 0x7F800000 ? 0x200 : 0));
  if (au >= 0x477FF000) return static_cast<std::uint16_t>(sign | 0x7C00);  // overflow to inf
  if (au < 0x38800000) {  // subnormal or zero in f16
    const float af = std::bit_cast<float>(au);
    const auto m = static_cast<std::uint32_t>(std::nearbyint(af * 16777216.0f));  // 2^24
    return static_cast<std::uint16_t>(sign | m);
  }
  std::uint32_t r = au + 0xFFF + ((au >> 13) & 1);  // round to nearest even at bit 13
  return static_cast<std::uint16_t>(sign | ((r - 0x38000000) >> 13));
}

Result<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  SafetensorsFile f;
  f.file_ = LINNET_TRY(MappedFile::open(path));
  const auto bytes = f.file_.bytes();
  if (bytes.size() < 8) return Error(ErrorCode::kCorrupt, path + ": truncated safetensors (no header length)");
  std::uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data(), 8);
  if (header_len > bytes.size() - 8) {
    return Error(ErrorCode::kCorrupt, path + ": truncated safetensors (header of " + std::to_string(header_len) +
                                          " bytes runs past the end of the file)");
  }
  const auto* header_begin = reinterpret_cast<const char*>(bytes.data() + 8);
  nlohmann::json header = nlohmann::json::parse(header_begin, header_begin + header_len, nullptr,
                                                /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    return Error(ErrorCode::kCorrupt, path + ": safetensors header is not a JSON object");
  }
  const std::uint64_t data_start = 8 + header_len;
  const std::uint64_t data_len = bytes.size() - data_start;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    const auto& v = it.value();
    const std::string where = path + ": tensor " + it.key();
    if (!v.is_object() || !v.contains("dtype") || !v["dtype"].is_string() || !v.contains("shape") ||
        !v["shape"].is_array() || !v.contains("data_offsets") || !v["data_offsets"].is_array() ||
        v["data_offsets"].size() != 2) {
      return Error(ErrorCode::kCorrupt, where + ": malformed header entry");
    }
    StTensor t;
    t.name = it.key();
    auto dtype = parse_dtype(v["dtype"].get<std::string>());
    if (!dtype.ok()) return std::move(dtype).error().with_context(where);
    t.dtype = *dtype;
    std::uint64_t elements = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned()) return Error(ErrorCode::kCorrupt, where + ": bad shape");
      const auto dim = d.get<std::uint64_t>();
      if (dim > (std::uint64_t{1} << 40) || (dim != 0 && elements > (std::uint64_t{1} << 40) / dim)) {
        return Error(ErrorCode::kCorrupt, where + ": shape too large");
      }
      elements *= dim;
      t.shape.push_back(static_cast<std::int64_t>(dim));
    }
    const auto& off = v["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
      return Error(ErrorCode::kCorrupt, where + ": bad data_offsets");
    }
    const auto begin = off[0].get<std::uint64_t>();
    const auto end = off[1].get<std::uint64_t>();
    if (begin > end || end > data_len) {
      return Error(ErrorCode::kCorrupt, where + ": data ends beyond the file (truncated safetensors?)");
    }
    if (end - begin != elements * dtype_size(t.dtype)) {
      return Error(ErrorCode::kCorrupt, where + ": data length " + std::to_string(end - begin) +
                                            " does not match its shape and dtype");
    }
    t.bytes = bytes.subspan(data_start + begin, end - begin);
    f.tensors_.emplace(t.name, std::move(t));
  }
  return f;
}

const StTensor* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

Result<std::vector<float>> to_f32(const StTensor& t) {
  const auto n = static_cast<std::size_t>(t.elements());
  std::vector<float> out(n);
  const auto* p = t.bytes.data();
  switch (t.dtype) {
    case StDType::kF32:
      // An empty tensor has no buffer: memcpy with a null pointer is undefined even for 0 bytes.
      if (n != 0) std::memcpy(out.data(), p, n * 4);
      break;
    case StDType::kBF16:
    case StDType::kF16:
      for (std::size_t i = 0; i < n; ++i) {
        std::uint16_t v;
        std::memcpy(&v, p + 2 * i, 2);
        out[i] = t.dtype == StDType::kBF16 ? bf16_to_f32(v) : f16_to_f32(v);
      }
      break;
    default:
      return Error(ErrorCode::kUnsupported, "tensor " + t.name + ": not a floating-point dtype");
  }
  return out;
}

Result<std::vector<float>> SafetensorsFile::read_f32(const std::string& name) const {
  const StTensor* t = find(name);
  if (t == nullptr) return Error(ErrorCode::kNotFound, path() + ": no tensor " + name);
  return to_f32(*t);
}

Result<std::vector<std::int64_t>> SafetensorsFile::read_i64(const std::string& name) const {
  const StTensor* t = find(name);
  if (t == nullptr) return Error(ErrorCode::kNotFound, path() + ": no tensor " + name);
  const auto n = static_cast<std::size_t>(t->elements());
  std::vector<std::int64_t> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (t->dtype == StDType::kI64) {
      std::memcpy(&out[i], t->bytes.data() + 8 * i, 8);
    } else if (t->dtype == StDType::kI32) {
      std::int32_t v;
      std::memcpy(&v, t->bytes.data() + 4 * i, 4);
      out[i] = v;
    } else {
      return Error(ErrorCode::kUnsupported, "tensor " + name + ": not an integer dtype");
    }
  }
  return out;
}

Status write_safetensors_f32(const std::string& path, std::span<const StOutput> tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    const std::uint64_t len = t.values.size() * 4;
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + len}}};
    offset += len;
  }
  std::string h = header.dump();
  while ((8 + h.size()) % 8 != 0) h.push_back(' ');
  const std::uint64_t hl = h.size();  // little-endian on every target
  FileReplacement out = LINNET_TRY(FileReplacement::create(path));
  LINNET_TRY(out.write({reinterpret_cast<const std::uint8_t*>(&hl), 8}));
  LINNET_TRY(out.write({reinterpret_cast<const std::uint8_t*>(h.data()), h.size()}));
  for (const auto& t : tensors) {
    LINNET_TRY(out.write({reinterpret_cast<const std::uint8_t*>(t.values.data()), t.values.size() * 4}));
  }
  return out.commit();
}

std::string_view st_dtype_name(StDType d) {
  switch (d) {
    case StDType::kF32: return "F32";
    case StDType::kF16: return "F16";
    case StDType::kBF16: return "BF16";
    case StDType::kI64: return "I64";
    case StDType::kI32: return "I32";
    case StDType::kU8: return "U8";
    case StDType::kI8: return "I8";
    case StDType::kBool: return "BOOL";
    case StDType::kF64: return "F64";
  }
  return "?";
}

Status write_safetensors_raw(const std::string& path, std::span<const StRawOutput> tensors) {
  nlohmann::json header = nlohmann::json::object();
  header["__metadata__"] = {{"format", "pt"}};
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    const std::uint64_t len = t.bytes.size();
    header[t.name] = {{"dtype", std::string(st_dtype_name(t.dtype))},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + len}}};
    offset += len;
  }
  std::string h = header.dump();
  while ((8 + h.size()) % 8 != 0) h.push_back(' ');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Error(ErrorCode::kIo, path + ": cannot open for writing");
  const std::uint64_t hl = h.size();
  out.write(reinterpret_cast<const char*>(&hl), 8);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  for (const auto& t : tensors) {
    out.write(reinterpret_cast<const char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
  }
  out.flush();
  if (!out) return Error(ErrorCode::kIo, path + ": write failed");
  return ok_status();
}

}  // namespace linnet::convert
