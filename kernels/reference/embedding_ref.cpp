#include "kernels/reference/embedding_ref.h"

#include "kernels/reference/linear_ref.h"

namespace linnet::kernels {

void embedding_lookup_ref(const TensorView& table, std::span<const std::int32_t> ids, float* out) {
  const std::size_t D = static_cast<std::size_t>(table.cols());
  for (std::size_t t = 0; t < ids.size(); ++t) dequantize_row_ref(table, ids[t], out + t * D);
}

}  // namespace linnet::kernels
