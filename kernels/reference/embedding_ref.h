// Embedding lookup for every weight dtype (the table is [V, D] in any bundle layout).
#pragma once

#include <cstdint>
#include <span>

#include "runtime/bundle/model_view.h"

namespace linnet::kernels {

// out[t, :] = table row ids[t] as float32, out [ids.size(), D]. Each id must be in [0, V)
// (checked by the caller). Caller-owned, call-scoped.
void embedding_lookup_ref(const TensorView& table, std::span<const std::int32_t> ids, float* out);

}  // namespace linnet::kernels
