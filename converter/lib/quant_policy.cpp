#include "converter/lib/quant_policy.h"

#include <string>

#include "runtime/bundle/bundle_format.h"

namespace linnet::convert {

Result<QuantMode> parse_quant_mode(std::string_view name) {
  if (name == "f32") return QuantMode::kF32;
  if (name == "f16") return QuantMode::kF16;
  if (name == "q8") return QuantMode::kQ8;
  if (name == "q4") return QuantMode::kQ4;
  if (name == "q6") return QuantMode::kQ6;
  return Error(ErrorCode::kInvalidArgument, "unknown quantization '" + std::string(name) + "' (f32, f16, q8, q6, q4)");
}

std::string_view quant_mode_name(QuantMode mode) {
  switch (mode) {
    case QuantMode::kF32: return "f32";
    case QuantMode::kF16: return "f16";
    case QuantMode::kQ8: return "q8";
    case QuantMode::kQ4: return "q4";
    case QuantMode::kQ6: return "q6";
  }
  return "?";
}

DTypeChoice choose_dtype(QuantMode mode, TensorClass cls, std::span<const std::int64_t> shape) {
  switch (cls) {
    case TensorClass::kNorm:
    case TensorClass::kConv:
    case TensorClass::kDeltaParam:
    case TensorClass::kGateProjection:
      return {DType::kF32, 0};
    case TensorClass::kEmbedding:
    case TensorClass::kLmHead:
    case TensorClass::kLinear:
      break;
  }
  // The tiled layouts need K % 32 == 0 (every real Qwen3.5 matrix); otherwise the untiled
  // per-row Q8, which XNNPACK and the reference run.
  const bool tiles = shape.size() == 2 && shape[1] % kTileBlockK == 0;
  const bool head = cls != TensorClass::kLinear;
  switch (mode) {
    case QuantMode::kF32: return {DType::kF32, 0};
    case QuantMode::kF16: return {DType::kF16, 0};
    case QuantMode::kQ8: return {tiles ? DType::kQ8T : DType::kQ8, 0};
    case QuantMode::kQ6: return {tiles ? DType::kQ6T : DType::kQ8, 0};
    case QuantMode::kQ4:
      if (!tiles) return {DType::kQ8, 0};
      return {head ? DType::kQ6T : DType::kQ4T, 0};
  }
  return {DType::kF32, 0};
}

DTypeChoice choose_dtype(QuantMode mode, const std::optional<QuantMode>& embedding_mode, TensorClass cls,
                         std::span<const std::int64_t> shape) {
  if (embedding_mode && (cls == TensorClass::kEmbedding || cls == TensorClass::kLmHead)) {
    return choose_dtype(*embedding_mode, TensorClass::kLinear, shape);
  }
  return choose_dtype(mode, cls, shape);
}

}  // namespace linnet::convert
