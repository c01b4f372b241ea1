#include "runtime/bundle/tensor_catalog.h"

namespace linnet {

std::string_view tensor_class_name(TensorClass cls) {
  switch (cls) {
    case TensorClass::kEmbedding: return "embedding";
    case TensorClass::kLmHead: return "lm_head";
    case TensorClass::kLinear: return "linear";
    case TensorClass::kGateProjection: return "gate_projection";
    case TensorClass::kNorm: return "norm";
    case TensorClass::kConv: return "conv";
    case TensorClass::kDeltaParam: return "delta_param";
  }
  return "?";
}

bool dtype_allowed(TensorClass cls, DType dtype) {
  switch (cls) {
    case TensorClass::kEmbedding:
    case TensorClass::kLmHead:
    case TensorClass::kLinear:
    case TensorClass::kGateProjection:
      return dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16 || dtype == DType::kQ8 ||
             dtype == DType::kQ4 || is_tiled(dtype);
    case TensorClass::kNorm:
    case TensorClass::kConv:
    case TensorClass::kDeltaParam:
      return dtype == DType::kF32;
  }
  return false;
}

std::vector<TensorSpec> expected_tensors(const HyperParams& hp) {
  const std::int64_t d = hp.hidden_size;
  const std::int64_t inter = hp.intermediate_size;
  const std::int64_t v = hp.vocab_size;
  const std::int64_t conv_ch = hp.linear_conv_channels();
  const std::int64_t hv = hp.linear_num_value_heads;
  const std::int64_t dv = hp.linear_value_head_dim;
  const std::int64_t heads = hp.num_attention_heads;
  const std::int64_t kv_heads = hp.num_key_value_heads;
  const std::int64_t head_dim = hp.head_dim;

  std::vector<TensorSpec> out;
  auto add = [&](std::string name, TensorClass cls, std::vector<std::int64_t> shape, int layer, TensorField f) {
    out.push_back(TensorSpec{std::move(name), cls, std::move(shape), layer, f});
  };
  add("embed_tokens.weight", TensorClass::kEmbedding, {v, d}, -1, TensorField::kEmbedTokens);
  for (int i = 0; i < hp.num_layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    add(p + "input_layernorm.weight", TensorClass::kNorm, {d}, i, TensorField::kInputNorm);
    if (hp.layer_types[static_cast<std::size_t>(i)] == LayerKind::kLinearAttention) {
      const std::string a = p + "linear_attn.";
      add(a + "in_proj_qkv.weight", TensorClass::kLinear, {conv_ch, d}, i, TensorField::kInProjQkv);
      add(a + "in_proj_z.weight", TensorClass::kLinear, {hv * dv, d}, i, TensorField::kInProjZ);
      add(a + "in_proj_b.weight", TensorClass::kGateProjection, {hv, d}, i, TensorField::kInProjB);
      add(a + "in_proj_a.weight", TensorClass::kGateProjection, {hv, d}, i, TensorField::kInProjA);
      add(a + "conv1d.weight", TensorClass::kConv, {conv_ch, 1, hp.linear_conv_kernel_dim}, i,
          TensorField::kConv1d);
      add(a + "dt_bias", TensorClass::kDeltaParam, {hv}, i, TensorField::kDtBias);
      add(a + "A_log", TensorClass::kDeltaParam, {hv}, i, TensorField::kALog);
      add(a + "norm.weight", TensorClass::kNorm, {dv}, i, TensorField::kLinearNorm);
      add(a + "out_proj.weight", TensorClass::kLinear, {d, hv * dv}, i, TensorField::kOutProj);
    } else {
      const std::string a = p + "self_attn.";
      add(a + "q_proj.weight", TensorClass::kLinear, {heads * 2 * head_dim, d}, i, TensorField::kQProj);
      add(a + "k_proj.weight", TensorClass::kLinear, {kv_heads * head_dim, d}, i, TensorField::kKProj);
      add(a + "v_proj.weight", TensorClass::kLinear, {kv_heads * head_dim, d}, i, TensorField::kVProj);
      add(a + "o_proj.weight", TensorClass::kLinear, {d, heads * head_dim}, i, TensorField::kOProj);
      add(a + "q_norm.weight", TensorClass::kNorm, {head_dim}, i, TensorField::kQNorm);
      add(a + "k_norm.weight", TensorClass::kNorm, {head_dim}, i, TensorField::kKNorm);
    }
    add(p + "post_attention_layernorm.weight", TensorClass::kNorm, {d}, i, TensorField::kPostNorm);
    add(p + "mlp.gate_proj.weight", TensorClass::kLinear, {inter, d}, i, TensorField::kGateProj);
    add(p + "mlp.up_proj.weight", TensorClass::kLinear, {inter, d}, i, TensorField::kUpProj);
    add(p + "mlp.down_proj.weight", TensorClass::kLinear, {d, inter}, i, TensorField::kDownProj);
  }
  add("norm.weight", TensorClass::kNorm, {d}, -1, TensorField::kFinalNorm);
  if (!hp.tie_word_embeddings) add("lm_head.weight", TensorClass::kLmHead, {v, d}, -1, TensorField::kLmHead);
  return out;
}

TensorView& tensor_slot(ModelWeights& w, const TensorSpec& spec) {
  switch (spec.field) {
    case TensorField::kEmbedTokens: return w.embed_tokens;
    case TensorField::kFinalNorm: return w.norm;
    case TensorField::kLmHead: return w.lm_head;
    default: break;
  }
  LayerWeights& l = w.layers[static_cast<std::size_t>(spec.layer)];
  switch (spec.field) {
    case TensorField::kInputNorm: return l.input_layernorm;
    case TensorField::kPostNorm: return l.post_attention_layernorm;
    case TensorField::kGateProj: return l.gate_proj;
    case TensorField::kUpProj: return l.up_proj;
    case TensorField::kDownProj: return l.down_proj;
    case TensorField::kInProjQkv: return l.linear.in_proj_qkv;
    case TensorField::kInProjZ: return l.linear.in_proj_z;
    case TensorField::kInProjB: return l.linear.in_proj_b;
    case TensorField::kInProjA: return l.linear.in_proj_a;
    case TensorField::kConv1d: return l.linear.conv1d;
    case TensorField::kDtBias: return l.linear.dt_bias;
    case TensorField::kALog: return l.linear.a_log;
    case TensorField::kLinearNorm: return l.linear.norm;
    case TensorField::kOutProj: return l.linear.out_proj;
    case TensorField::kQProj: return l.attention.q_proj;
    case TensorField::kKProj: return l.attention.k_proj;
    case TensorField::kVProj: return l.attention.v_proj;
    case TensorField::kOProj: return l.attention.o_proj;
    case TensorField::kQNorm: return l.attention.q_norm;
    case TensorField::kKNorm: return l.attention.k_norm;
    default: break;
  }
  return w.embed_tokens;  // unreachable: every field is listed above
}

}  // namespace linnet
