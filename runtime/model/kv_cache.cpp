#include "runtime/model/kv_cache.h"

#include <cstring>

namespace linnet {

void store_kv_rows(const KvCacheShape& shape, const LayerStateBuffers& layer, int pos, const float* k,
                   const float* v) {
  const std::size_t hd = static_cast<std::size_t>(shape.head_dim), cap = static_cast<std::size_t>(shape.capacity);
  for (std::size_t h = 0; h < static_cast<std::size_t>(shape.kv_heads); ++h) {
    const std::size_t row = h * cap + static_cast<std::size_t>(pos);  // row index in [Hkv * capacity]
    const float* k_src = k + h * hd;
    const float* v_src = v + h * hd;
    switch (shape.type) {
      case KvCacheType::kF32:
        std::memcpy(static_cast<float*>(layer.k_cache) + row * hd, k_src, hd * sizeof(float));
        std::memcpy(static_cast<float*>(layer.v_cache) + row * hd, v_src, hd * sizeof(float));
        break;
      case KvCacheType::kF16: {
        kernels::Half* kc = static_cast<kernels::Half*>(layer.k_cache) + row * hd;
        kernels::Half* vc = static_cast<kernels::Half*>(layer.v_cache) + row * hd;
        for (std::size_t i = 0; i < hd; ++i) {
          kc[i] = kernels::float_to_half(k_src[i]);
          vc[i] = kernels::float_to_half(v_src[i]);
        }
        break;
      }
      case KvCacheType::kInt8:
        kernels::quantize_row_int8(k_src, shape.head_dim, static_cast<std::int8_t*>(layer.k_cache) + row * hd,
                                   layer.k_scales + row);
        kernels::quantize_row_int8(v_src, shape.head_dim, static_cast<std::int8_t*>(layer.v_cache) + row * hd,
                                   layer.v_scales + row);
        break;
    }
  }
}

}  // namespace linnet
