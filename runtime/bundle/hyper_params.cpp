#include "runtime/bundle/hyper_params.h"

#include <cmath>
#include <string>

namespace linnet {
namespace {

Status in_range(const char* name, long long value, long long lo, long long hi) {
  if (value < lo || value > hi) {
    return Error(ErrorCode::kCorrupt, std::string(name) + " " + std::to_string(value) + " is outside [" +
                                          std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return ok_status();
}

}  // namespace

Status validate_hyper_params(const HyperParams& hp) {
  LINNET_TRY(in_range("hidden_size", hp.hidden_size, 1, 1 << 16));
  LINNET_TRY(in_range("num_layers", hp.num_layers, 1, 512));
  LINNET_TRY(in_range("intermediate_size", hp.intermediate_size, 1, 1 << 18));
  LINNET_TRY(in_range("vocab_size", hp.vocab_size, 1, 1 << 22));
  LINNET_TRY(in_range("num_attention_heads", hp.num_attention_heads, 1, 1024));
  LINNET_TRY(in_range("num_key_value_heads", hp.num_key_value_heads, 1, 1024));
  LINNET_TRY(in_range("head_dim", hp.head_dim, 2, 4096));
  LINNET_TRY(in_range("linear_num_key_heads", hp.linear_num_key_heads, 1, 1024));
  LINNET_TRY(in_range("linear_num_value_heads", hp.linear_num_value_heads, 1, 1024));
  LINNET_TRY(in_range("linear_key_head_dim", hp.linear_key_head_dim, 1, 4096));
  LINNET_TRY(in_range("linear_value_head_dim", hp.linear_value_head_dim, 1, 4096));
  LINNET_TRY(in_range("linear_conv_kernel_dim", hp.linear_conv_kernel_dim, 1, 16));
  LINNET_TRY(in_range("max_position_embeddings", hp.max_position_embeddings, 0, 1 << 24));
  if (hp.num_attention_heads % hp.num_key_value_heads != 0) {
    return Error(ErrorCode::kCorrupt, "num_key_value_heads " + std::to_string(hp.num_key_value_heads) +
                                          " does not divide num_attention_heads " +
                                          std::to_string(hp.num_attention_heads));
  }
  if (hp.linear_num_value_heads % hp.linear_num_key_heads != 0) {
    return Error(ErrorCode::kCorrupt, "linear_num_key_heads " + std::to_string(hp.linear_num_key_heads) +
                                          " does not divide linear_num_value_heads " +
                                          std::to_string(hp.linear_num_value_heads));
  }
  if (!std::isfinite(hp.rope_theta) || hp.rope_theta <= 1.0) {
    return Error(ErrorCode::kCorrupt, "rope_theta " + std::to_string(hp.rope_theta) + " is not a finite value > 1");
  }
  if (!(hp.partial_rotary_factor > 0.0f && hp.partial_rotary_factor <= 1.0f)) {
    return Error(ErrorCode::kCorrupt, "partial_rotary_factor " + std::to_string(hp.partial_rotary_factor) +
                                          " is outside (0, 1]");
  }
  const int rotary = hp.rotary_dim();
  if (rotary < 2 || rotary % 2 != 0 || rotary > hp.head_dim) {
    return Error(ErrorCode::kCorrupt, "rotary dimension " + std::to_string(rotary) +
                                          " (head_dim * partial_rotary_factor) must be even and within head_dim");
  }
  if (!(hp.rms_norm_eps > 0.0f && hp.rms_norm_eps < 1.0f)) {
    return Error(ErrorCode::kCorrupt, "rms_norm_eps " + std::to_string(hp.rms_norm_eps) + " is outside (0, 1)");
  }
  if (hp.layer_types.size() != static_cast<std::size_t>(hp.num_layers)) {
    return Error(ErrorCode::kCorrupt, "layer_types has " + std::to_string(hp.layer_types.size()) +
                                          " entries for " + std::to_string(hp.num_layers) + " layers");
  }
  for (std::size_t i = 0; i < hp.layer_types.size(); ++i) {
    if (hp.layer_types[i] != LayerKind::kLinearAttention && hp.layer_types[i] != LayerKind::kFullAttention) {
      return Error(ErrorCode::kCorrupt, "layer_types[" + std::to_string(i) + "] is not a known layer kind");
    }
  }
  return ok_status();
}

}  // namespace linnet
