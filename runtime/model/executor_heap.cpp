#include "runtime/model/executor_heap.h"

#include <algorithm>
#include <string>

#include "kernels/qlinear/tiled_linear.h"
#include "kernels/xnnpack/fully_connected.h"

namespace linnet {

std::vector<const TensorView*> linear_weight_views(const ModelWeights& weights) {
  const TensorView& head = weights.lm_head.present() ? weights.lm_head : weights.embed_tokens;
  std::vector<const TensorView*> views{&head};
  for (const LayerWeights& lw : weights.layers)
    for (const TensorView* t : {&lw.gate_proj, &lw.up_proj, &lw.down_proj, &lw.linear.in_proj_qkv,
                                &lw.linear.in_proj_z, &lw.linear.in_proj_b, &lw.linear.in_proj_a,
                                &lw.linear.out_proj, &lw.attention.q_proj, &lw.attention.k_proj,
                                &lw.attention.v_proj, &lw.attention.o_proj})
      if (t->present()) views.push_back(t);
  return views;
}

std::int64_t linear_max_in_features(const HyperParams& hp) {
  return std::max({std::int64_t{hp.hidden_size}, std::int64_t{hp.intermediate_size},
                   hp.linear_num_value_heads * std::int64_t{hp.linear_value_head_dim},
                   hp.num_attention_heads * std::int64_t{hp.head_dim}});
}

std::vector<MemoryBound> plan_executor_heap(const ModelWeights& weights, const ExecutorOptions& options) {
  std::vector<MemoryBound> bounds;
  if (options.linear == LinearImpl::kReference) return bounds;
  const std::vector<const TensorView*> views = linear_weight_views(weights);
  const bool any_tiled =
      std::any_of(views.begin(), views.end(), [](const TensorView* t) { return is_tiled(t->dtype); });
  const std::int64_t max_k = linear_max_in_features(weights.hp);
  const std::string shape = "[" + std::to_string(options.batch_tokens) + ", " + std::to_string(max_k) + "]";
  bounds.push_back({"xnnpack_scratch",
                    "XNNPACK's workspace: qd8 activations " + shape + " int8 + padding + row parameters",
                    kernels::XnnFullyConnected::qd8_scratch_bytes(static_cast<std::size_t>(options.batch_tokens),
                                                                  static_cast<std::size_t>(max_k))});
  if (any_tiled)
    bounds.push_back({"tiled_scratch",
                      "Linnet's tiled kernels: quantized activations " + shape + " int8 + block scales",
                      kernels::TiledLinearBackend::scratch_bytes_for(options.batch_tokens, max_k)});
  std::size_t packed = 0;
  int packed_weights = 0;
  for (const TensorView* t : views) {
    // Beside Linnet's kernels XNNPACK runs only what they cannot (kLinnet: non-tiled weights).
    if (!kernels::XnnFullyConnected::supports(*t) || (options.linear == LinearImpl::kLinnet && is_tiled(t->dtype)))
      continue;
    packed += kernels::XnnFullyConnected::packed_bytes_bound(static_cast<std::size_t>(t->rows()),
                                                             static_cast<std::size_t>(t->cols()));
    ++packed_weights;
  }
  bounds.push_back({"packed_weights",
                    "XNNPACK's packed copies of " + std::to_string(packed_weights) +
                        " weights, made at load (bound; measured by linnet bench)",
                    packed});
  return bounds;
}

}  // namespace linnet
