// The KV cache of one attention layer as the executor uses it: appending a position's rows
// in the cache's element type (ExecutorOptions::kv_cache), the typed views the attention
// kernels take, and the pieces a state snapshot copies. Internal to runtime/model.
//
// Per layer (carved by executor_buffers.cpp): K and V each [Hkv, capacity, hd] of f32, f16
// or int8; for int8 also K and V scales, each [Hkv, capacity] f32 (one per row).
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/reference/int8_rows.h"
#include "kernels/vec/vec_target.h"
#include "runtime/model/executor_buffers.h"

namespace linnet {

struct KvCacheShape {
  KvCacheType type = KvCacheType::kF16;
  int kv_heads = 0;  // Hkv
  int capacity = 0;  // context length (rows per head)
  int head_dim = 0;  // hd
};

// Writes row `pos` of every KV head from k, v [Hkv, hd] floats (int8: quantized per row).
void store_kv_rows(const KvCacheShape& shape, const LayerStateBuffers& layer, int pos, const float* k,
                   const float* v);

// Calls fn(k_cache, v_cache) with the caches typed as the kernels take them: const float*,
// const kernels::Half* or kernels::Int8Rows.
template <typename Fn>
void with_kv_views(const KvCacheShape& shape, const LayerStateBuffers& layer, Fn&& fn) {
  switch (shape.type) {
    case KvCacheType::kF32:
      fn(static_cast<const float*>(layer.k_cache), static_cast<const float*>(layer.v_cache));
      return;
    case KvCacheType::kF16:
      fn(static_cast<const kernels::Half*>(layer.k_cache), static_cast<const kernels::Half*>(layer.v_cache));
      return;
    case KvCacheType::kInt8:
      fn(kernels::Int8Rows{static_cast<const std::int8_t*>(layer.k_cache), layer.k_scales},
         kernels::Int8Rows{static_cast<const std::int8_t*>(layer.v_cache), layer.v_scales});
      return;
  }
}

// The snapshot of rows [0, position), in order: K rows of head 0..Hkv-1, then (int8) the K
// row scales of head 0..Hkv-1; then V likewise. Calls fn(bytes_pointer, byte_count) for each
// contiguous piece, so one function both sizes and copies a snapshot.
template <typename Fn>
void for_each_kv_snapshot_piece(const KvCacheShape& shape, const LayerStateBuffers& layer, int position, Fn&& fn) {
  const std::size_t hd = static_cast<std::size_t>(shape.head_dim), cap = static_cast<std::size_t>(shape.capacity);
  const std::size_t rows = static_cast<std::size_t>(position);
  const std::size_t element = kv_cache_element_bytes(shape.type);
  const struct {
    void* values;
    float* scales;
  } caches[2] = {{layer.k_cache, layer.k_scales}, {layer.v_cache, layer.v_scales}};
  for (const auto& c : caches) {
    for (std::size_t h = 0; h < static_cast<std::size_t>(shape.kv_heads); ++h)
      fn(static_cast<std::uint8_t*>(c.values) + h * cap * hd * element, rows * hd * element);
    if (shape.type == KvCacheType::kInt8)
      for (std::size_t h = 0; h < static_cast<std::size_t>(shape.kv_heads); ++h)
        fn(reinterpret_cast<std::uint8_t*>(c.scales + h * cap), rows * sizeof(float));
  }
}

}  // namespace linnet
