#include "runtime/model/executor_options.h"

namespace linnet {

const char* kv_cache_type_name(KvCacheType type) {
  switch (type) {
    case KvCacheType::kF16: return "f16";
    case KvCacheType::kInt8: return "int8";
    case KvCacheType::kF32: return "f32";
  }
  return "?";
}

std::optional<KvCacheType> parse_kv_cache_type(std::string_view name) {
  for (KvCacheType t : {KvCacheType::kF16, KvCacheType::kInt8, KvCacheType::kF32})
    if (name == kv_cache_type_name(t)) return t;
  return std::nullopt;
}

const char* linear_impl_name(LinearImpl impl) {
  switch (impl) {
    case LinearImpl::kLinnet: return "linnet";
    case LinearImpl::kXnnpack: return "xnnpack";
    case LinearImpl::kReference: return "reference";
  }
  return "?";
}

std::optional<LinearImpl> parse_linear_impl(std::string_view name) {
  for (LinearImpl i : {LinearImpl::kLinnet, LinearImpl::kXnnpack, LinearImpl::kReference})
    if (name == linear_impl_name(i)) return i;
  return std::nullopt;
}

std::size_t kv_cache_element_bytes(KvCacheType type) {
  switch (type) {
    case KvCacheType::kF16: return 2;
    case KvCacheType::kInt8: return 1;
    case KvCacheType::kF32: return 4;
  }
  return 4;
}

std::size_t kv_cache_row_bytes(KvCacheType type, int head_dim) {
  const std::size_t scale = type == KvCacheType::kInt8 ? sizeof(float) : 0;
  return kv_cache_element_bytes(type) * static_cast<std::size_t>(head_dim) + scale;
}

}  // namespace linnet
