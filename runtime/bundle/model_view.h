// What the loader hands the executor: hyper-parameters and non-owning views of every
// weight tensor, pointing into the memory-mapped bundle. Views live as long as the
// Bundle (runtime/bundle/bundle.h) that produced them; nothing here owns memory except
// the small vectors of views.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace linnet {

enum class DType : std::uint8_t { kF32 = 0, kF16 = 1, kBF16 = 2, kQ8 = 3, kQ4 = 4, kQ8T = 5, kQ4T = 6, kQ6T = 7 };
inline constexpr DType kLastDType = DType::kQ6T;

// The tiled dtypes (bundle.fbs): Linnet's own matrix kernels read them in place.
inline constexpr bool is_tiled(DType dtype) {
  return dtype == DType::kQ8T || dtype == DType::kQ4T || dtype == DType::kQ6T;
}
enum class LayerKind : std::uint8_t { kLinearAttention = 0, kFullAttention = 1 };

std::string_view dtype_name(DType dtype);

// One weight tensor in place. Layouts (bundle.fbs has the full contract):
//   kF32/kF16/kBF16: data is the row-major tensor.
//   kQ8: data int8 [N, K]; scales f32 [N].
//   kQ4: data uint8 [N, K/2] (low nibble = even k, zero point 8); scales bf16 [N, K/block].
//   kQ8T, kQ4T, kQ6T: 8-row tiles, blocks of 32 along K (bundle.fbs has the byte layout).
struct TensorView {
  std::string_view name;
  DType dtype = DType::kF32;
  std::array<std::int64_t, 4> shape{};  // unused trailing dims are 1
  int rank = 0;
  const void* data = nullptr;
  std::size_t data_bytes = 0;
  const void* scales = nullptr;  // quantized dtypes
  std::size_t scales_bytes = 0;
  std::uint32_t block_size = 0;  // kQ4

  bool present() const { return data != nullptr; }
  std::int64_t rows() const { return shape[0]; }                  // N of [N, K]
  std::int64_t cols() const { return rank >= 2 ? shape[1] : 1; }  // K of [N, K]
  std::int64_t elements() const {
    std::int64_t n = 1;
    for (int i = 0; i < rank; ++i) n *= shape[static_cast<std::size_t>(i)];
    return n;
  }
  const float* f32() const { return static_cast<const float*>(data); }
};

// Every hyper-parameter the executor needs (from the bundle's ModelConfig).
struct HyperParams {
  int hidden_size = 0;               // D
  int num_layers = 0;
  int intermediate_size = 0;         // I
  int vocab_size = 0;                // V (rows of the embedding)
  int num_attention_heads = 0;       // H
  int num_key_value_heads = 0;       // Hkv
  int head_dim = 0;                  // 256 in the real models
  int linear_num_key_heads = 0;      // Hk
  int linear_num_value_heads = 0;    // Hv
  int linear_key_head_dim = 0;       // dk (128)
  int linear_value_head_dim = 0;     // dv (128)
  int linear_conv_kernel_dim = 0;    // 4
  double rope_theta = 0;
  float partial_rotary_factor = 0;
  float rms_norm_eps = 0;
  bool tie_word_embeddings = false;
  int max_position_embeddings = 0;
  std::vector<LayerKind> layer_types;

  int rotary_dim() const { return static_cast<int>(static_cast<float>(head_dim) * partial_rotary_factor); }
  // Channels of the DeltaNet qkv projection and of its causal conv: 2*Hk*dk + Hv*dv.
  int linear_conv_channels() const {
    return 2 * linear_num_key_heads * linear_key_head_dim + linear_num_value_heads * linear_value_head_dim;
  }
};

// Gated DeltaNet (linear attention) weights, names as in the checkpoint under linear_attn.
struct LinearAttentionWeights {
  TensorView in_proj_qkv;  // [C, D]
  TensorView in_proj_z;    // [Hv*dv, D]
  TensorView in_proj_b;    // [Hv, D]
  TensorView in_proj_a;    // [Hv, D]
  TensorView conv1d;       // f32 [C, 1, K] (K = conv kernel, 4)
  TensorView dt_bias;      // f32 [Hv]
  TensorView a_log;        // f32 [Hv]
  TensorView norm;         // f32 [dv], RMSNormGated weight (no +1)
  TensorView out_proj;     // [D, Hv*dv]
};

// Gated full attention weights, names as in the checkpoint under self_attn.
struct FullAttentionWeights {
  TensorView q_proj;  // [H*2*head_dim, D]: per head [query | gate]
  TensorView k_proj;  // [Hkv*head_dim, D]
  TensorView v_proj;  // [Hkv*head_dim, D]
  TensorView o_proj;  // [D, H*head_dim]
  TensorView q_norm;  // f32 [head_dim], zero-centred (1 + w)
  TensorView k_norm;  // f32 [head_dim]
};

struct LayerWeights {
  LayerKind kind = LayerKind::kLinearAttention;
  TensorView input_layernorm;           // f32 [D], zero-centred
  TensorView post_attention_layernorm;  // f32 [D], zero-centred
  TensorView gate_proj;                 // [I, D]
  TensorView up_proj;                   // [I, D]
  TensorView down_proj;                 // [D, I]
  LinearAttentionWeights linear;        // when kind == kLinearAttention
  FullAttentionWeights attention;       // when kind == kFullAttention
};

struct ModelWeights {
  HyperParams hp;
  TensorView embed_tokens;  // [V, D]
  TensorView norm;          // f32 [D], final norm, zero-centred
  TensorView lm_head;       // [V, D]; the same view as embed_tokens when tied
  std::vector<LayerWeights> layers;
  // The views point into a read-only file mapping (a Bundle): the executor may drop pages it
  // no longer needs (they are re-read from the page cache). False for weights in memory.
  bool file_mapped = false;
};

}  // namespace linnet
