#include "runtime/bundle/tensor_catalog.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "runtime/bundle/hyper_params.h"
#include "runtime/bundle/tensor_layout.h"

namespace linnet {
namespace {

HyperParams tiny() {
  HyperParams hp;
  hp.hidden_size = 128;
  hp.num_layers = 4;
  hp.intermediate_size = 384;
  hp.vocab_size = 1024;
  hp.num_attention_heads = 4;
  hp.num_key_value_heads = 2;
  hp.head_dim = 64;
  hp.linear_num_key_heads = 2;
  hp.linear_num_value_heads = 4;
  hp.linear_key_head_dim = 32;
  hp.linear_value_head_dim = 32;
  hp.linear_conv_kernel_dim = 4;
  hp.rope_theta = 1e7;
  hp.partial_rotary_factor = 0.25f;
  hp.rms_norm_eps = 1e-6f;
  hp.tie_word_embeddings = true;
  hp.layer_types = {LayerKind::kLinearAttention, LayerKind::kLinearAttention, LayerKind::kLinearAttention,
                    LayerKind::kFullAttention};
  return hp;
}

TEST(TensorCatalog, ListsEveryTensorWithCheckpointShapes) {
  const HyperParams hp = tiny();
  ASSERT_TRUE(validate_hyper_params(hp).ok());
  const auto specs = expected_tensors(hp);
  // 1 embed + 3 linear layers * 14 + 1 full layer * 11 + final norm; tied: no lm_head.
  EXPECT_EQ(specs.size(), 1u + 3u * 14u + 11u + 1u);
  EXPECT_EQ(specs.front().name, "embed_tokens.weight");
  EXPECT_EQ(specs.back().name, "norm.weight");
  for (const auto& s : specs) {
    if (s.name == "layers.0.linear_attn.in_proj_qkv.weight") {
      EXPECT_EQ(s.shape, (std::vector<std::int64_t>{256, 128}));
    }
    if (s.name == "layers.0.linear_attn.conv1d.weight") {
      EXPECT_EQ(s.shape, (std::vector<std::int64_t>{256, 1, 4}));
    }
    if (s.name == "layers.3.self_attn.q_proj.weight") {
      EXPECT_EQ(s.shape, (std::vector<std::int64_t>{512, 128}));
    }
    if (s.name == "layers.3.self_attn.o_proj.weight") {
      EXPECT_EQ(s.shape, (std::vector<std::int64_t>{128, 256}));
    }
  }
  HyperParams untied = hp;
  untied.tie_word_embeddings = false;
  EXPECT_EQ(expected_tensors(untied).back().name, "lm_head.weight");
}

TEST(TensorCatalog, SlotsAreDistinct) {
  const HyperParams hp = tiny();
  ModelWeights w;
  w.layers.resize(4);
  const auto specs = expected_tensors(hp);
  std::vector<const TensorView*> seen;
  for (const auto& s : specs) {
    const TensorView* p = &tensor_slot(w, s);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), p), 0) << s.name;
    seen.push_back(p);
  }
}

TEST(HyperParams, RejectsInconsistentValues) {
  HyperParams hp = tiny();
  hp.num_key_value_heads = 3;
  EXPECT_FALSE(validate_hyper_params(hp).ok());
  hp = tiny();
  hp.layer_types.pop_back();
  EXPECT_FALSE(validate_hyper_params(hp).ok());
  hp = tiny();
  hp.partial_rotary_factor = 0.0f;
  EXPECT_FALSE(validate_hyper_params(hp).ok());
}

TEST(TensorLayout, BytesPerDtype) {
  const std::int64_t shape[] = {8, 64};
  EXPECT_EQ(tensor_bytes(DType::kF32, shape, 0)->data, 8u * 64u * 4u);
  EXPECT_EQ(tensor_bytes(DType::kF16, shape, 0)->data, 8u * 64u * 2u);
  EXPECT_EQ(tensor_bytes(DType::kQ8, shape, 0)->scales, 8u * 4u);
  const auto q4 = tensor_bytes(DType::kQ4, shape, 32);
  ASSERT_TRUE(q4.ok());
  EXPECT_EQ(q4->data, 8u * 32u);
  EXPECT_EQ(q4->scales, 8u * 2u * 2u);
  EXPECT_FALSE(tensor_bytes(DType::kQ4, shape, 48).ok());
  const std::int64_t vec[] = {64};
  EXPECT_FALSE(tensor_bytes(DType::kQ8, vec, 0).ok());
  const std::int64_t negative[] = {-1, 64};
  EXPECT_FALSE(tensor_bytes(DType::kF32, negative, 0).ok());
}

}  // namespace
}  // namespace linnet
