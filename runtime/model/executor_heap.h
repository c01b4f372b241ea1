// The executor's heap blocks outside its arena, each with the most bytes it can take.
// The arena (memory_plan.h) holds every activation, cache and kernel scratch of the
// non-linear kernels; beside it, Executor::create() makes these once (never on the token
// path, which allocates nothing: executor_test):
//
//   xnnpack_scratch   XNNPACK's only per-call workspace: the qd8 (dynamically quantized int8)
//                     activations its quantized operators read, [B, max K] + over-read
//                     padding + per-row parameters (XnnFullyConnected::qd8_scratch_bytes)
//   tiled_scratch     the same for Linnet's tiled kernels: q [B, K32], d and sum [B, K32/32]
//                     (TiledLinearBackend::scratch_bytes_for); only for tiled bundles
//   packed_weights    XNNPACK's packed copies of the weights it runs (anonymous memory, or
//                     the mapped "<bundle>.xnnpack" file): at most
//                     XnnFullyConnected::packed_bytes_bound per weight; the real figure is
//                     Executor::packed_weight_bytes() (`linnet bench`)
//
// B = batch_tokens, max K = linear_max_in_features(hp). docs/memory.md lists them all.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/bundle/model_view.h"
#include "runtime/model/memory_plan.h"

namespace linnet {

// Every linear layer's weight, the head first (lm_head, or the tied embedding).
std::vector<const TensorView*> linear_weight_views(const ModelWeights& weights);

// The largest in_features among the linear layers: max(D, I, Hv*dv, H*hd).
std::int64_t linear_max_in_features(const HyperParams& hp);

// The bounds above for these weights and options (validated options; an empty list with
// LinearImpl::kReference, which allocates none of them). With kLinnet the packed bound
// counts the weights Linnet's kernels do not run (every non-tiled weight XNNPACK supports);
// with kXnnpack every weight XNNPACK supports, tiled Q8T/Q4T included.
std::vector<MemoryBound> plan_executor_heap(const ModelWeights& weights, const ExecutorOptions& options);

}  // namespace linnet
