// The one set of checks on hyper-parameters, shared by the loader (a bundle's ModelConfig),
// the converter (a config.json) and the executor (which adds its kernels' limits). Limits
// are generous for Qwen3.5 (the 9B model is far inside them) and keep every size product
// inside int64 and every index inside int.
#pragma once

#include "runtime/bundle/model_view.h"
#include "runtime/core/result.h"

namespace linnet {

// kCorrupt naming the first bad field ("num_key_value_heads 3 does not divide
// num_attention_heads 8").
Status validate_hyper_params(const HyperParams& hp);

}  // namespace linnet
