#include "runtime/bundle/model_view.h"

namespace linnet {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "f32";
    case DType::kF16: return "f16";
    case DType::kBF16: return "bf16";
    case DType::kQ8: return "q8";
    case DType::kQ4: return "q4";
    case DType::kQ8T: return "q8t";
    case DType::kQ4T: return "q4t";
    case DType::kQ6T: return "q6t";
  }
  return "?";
}

}  // namespace linnet
