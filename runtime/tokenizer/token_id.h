// A token id: an index into the vocabulary (and into the model's embedding/logits).
// Signed so that -1 can mean "none" (a missing special token).
#pragma once

#include <cstdint>

namespace linnet {

using TokenId = std::int32_t;

}  // namespace linnet
