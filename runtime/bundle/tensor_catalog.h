// The tensors a Qwen3.5 text model has, derived from its hyper-parameters: names (the
// checkpoint's, without the "model." / "model.language_model." prefix), logical shapes,
// and the class that decides which dtypes a tensor may have and how the converter
// quantizes it. The converter checks a checkpoint against this list and writes tensors in
// its order; the loader checks a bundle against it. One list, so the two cannot disagree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/bundle/model_view.h"

namespace linnet {

enum class TensorClass : std::uint8_t {
  kEmbedding,       // embed_tokens [V, D]: row gather, and the head when tied
  kLmHead,          // lm_head [V, D] (untied models only)
  kLinear,          // projections [out, in] run through XNNPACK fully-connected
  kGateProjection,  // linear_attn.in_proj_a / in_proj_b [Hv, D]: feed exp/softplus/sigmoid gates
  kNorm,            // RMSNorm weights [D], [head_dim], [dv]
  kConv,            // linear_attn.conv1d [C, 1, K]
  kDeltaParam,      // linear_attn.A_log, dt_bias [Hv]
};

std::string_view tensor_class_name(TensorClass cls);

// True when a tensor of this class may be stored in `dtype` (matrices: any dtype; vectors,
// norms and the conv stay float32, which the executor reads directly).
bool dtype_allowed(TensorClass cls, DType dtype);

// Which member of ModelWeights / LayerWeights a tensor fills.
enum class TensorField : std::uint8_t {
  kEmbedTokens, kFinalNorm, kLmHead,
  kInputNorm, kPostNorm, kGateProj, kUpProj, kDownProj,
  kInProjQkv, kInProjZ, kInProjB, kInProjA, kConv1d, kDtBias, kALog, kLinearNorm, kOutProj,
  kQProj, kKProj, kVProj, kOProj, kQNorm, kKNorm,
};

struct TensorSpec {
  std::string name;                 // e.g. "layers.3.self_attn.q_proj.weight"
  TensorClass cls = TensorClass::kLinear;
  std::vector<std::int64_t> shape;  // logical shape, [out, in] for matrices
  int layer = -1;                   // -1 for top-level tensors
  TensorField field = TensorField::kEmbedTokens;
};

// Every tensor of the model in bundle order: embed_tokens, layers 0..L-1, norm, then
// lm_head when embeddings are not tied. `hp` must have passed validate_hyper_params.
std::vector<TensorSpec> expected_tensors(const HyperParams& hp);

// The view `spec` fills inside `weights` (whose layers are sized to hp.num_layers).
TensorView& tensor_slot(ModelWeights& weights, const TensorSpec& spec);

}  // namespace linnet
