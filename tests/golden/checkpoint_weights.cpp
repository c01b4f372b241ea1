#include "tests/golden/checkpoint_weights.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "converter/lib/safetensors.h"
#include "tests/golden/golden_util.h"

namespace linnet::testing {
namespace {

using convert::SafetensorsFile;

Result<HyperParams> read_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error(ErrorCode::kIo, "cannot read " + path);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json root = nlohmann::json::parse(text.str(), nullptr, false);
  if (root.is_discarded()) return Error(ErrorCode::kCorrupt, path + ": not JSON");
  const nlohmann::json& c = root.contains("text_config") ? root["text_config"] : root;
  HyperParams hp;
  hp.hidden_size = c.value("hidden_size", 0);
  hp.num_layers = c.value("num_hidden_layers", 0);
  hp.intermediate_size = c.value("intermediate_size", 0);
  hp.vocab_size = c.value("vocab_size", 0);
  hp.num_attention_heads = c.value("num_attention_heads", 0);
  hp.num_key_value_heads = c.value("num_key_value_heads", 0);
  hp.head_dim = c.value("head_dim", 0);
  hp.linear_num_key_heads = c.value("linear_num_key_heads", 0);
  hp.linear_num_value_heads = c.value("linear_num_value_heads", 0);
  hp.linear_key_head_dim = c.value("linear_key_head_dim", 0);
  hp.linear_value_head_dim = c.value("linear_value_head_dim", 0);
  hp.linear_conv_kernel_dim = c.value("linear_conv_kernel_dim", 0);
  const nlohmann::json rope = c.value("rope_parameters", nlohmann::json::object());
  hp.rope_theta = rope.value("rope_theta", c.value("rope_theta", 1e7));
  hp.partial_rotary_factor = rope.value("partial_rotary_factor", c.value("partial_rotary_factor", 0.25f));
  hp.rms_norm_eps = c.value("rms_norm_eps", 1e-6f);
  hp.tie_word_embeddings = root.value("tie_word_embeddings", c.value("tie_word_embeddings", false));
  hp.max_position_embeddings = c.value("max_position_embeddings", 0);
  if (!c.contains("layer_types") || !c["layer_types"].is_array())
    return Error(ErrorCode::kCorrupt, path + ": no layer_types");
  for (const auto& t : c["layer_types"])
    hp.layer_types.push_back(t.get<std::string>() == "full_attention" ? LayerKind::kFullAttention
                                                                      : LayerKind::kLinearAttention);
  return hp;
}

class Builder {
 public:
  Builder(const SafetensorsFile& file, CheckpointWeights& out, std::string prefix)
      : file_(file), out_(out), prefix_(std::move(prefix)) {}

  Result<TensorView> view(const std::string& name) {
    const std::string full = prefix_ + name;
    const convert::StTensor* t = file_.find(full);
    if (t == nullptr) return Error(ErrorCode::kNotFound, "checkpoint has no tensor " + full);
    std::vector<float> values = LINNET_TRY(file_.read_f32(full));
    out_.storage.push_back(std::move(values));
    out_.names.push_back(name);
    TensorView v;
    v.name = out_.names.back();
    v.dtype = DType::kF32;
    v.rank = static_cast<int>(t->shape.size());
    v.shape = {1, 1, 1, 1};
    for (std::size_t i = 0; i < t->shape.size() && i < 4; ++i) v.shape[i] = t->shape[i];
    v.data = out_.storage.back().data();
    v.data_bytes = out_.storage.back().size() * sizeof(float);
    return v;
  }

 private:
  const SafetensorsFile& file_;
  CheckpointWeights& out_;
  std::string prefix_;
};

}  // namespace

std::string tiny_model_dir() { return kTinyA.dir(); }

Result<std::unique_ptr<CheckpointWeights>> load_checkpoint_f32(const std::string& dir) {
  auto out = std::make_unique<CheckpointWeights>();
  ModelWeights& w = out->weights;
  w.hp = LINNET_TRY(read_config(dir + "/config.json"));
  SafetensorsFile file = LINNET_TRY(SafetensorsFile::open(dir + "/model.safetensors"));
  const std::string prefix =
      file.find("model.language_model.embed_tokens.weight") != nullptr ? "model.language_model." : "model.";
  Builder b(file, *out, prefix);
  w.embed_tokens = LINNET_TRY(b.view("embed_tokens.weight"));
  w.norm = LINNET_TRY(b.view("norm.weight"));
  if (w.hp.tie_word_embeddings) {
    w.lm_head = w.embed_tokens;
  } else {
    Builder head(file, *out, "");
    w.lm_head = LINNET_TRY(head.view("lm_head.weight"));
  }
  for (int i = 0; i < w.hp.num_layers; ++i) {
    const std::string p = "layers." + std::to_string(i) + ".";
    LayerWeights l;
    l.kind = w.hp.layer_types[static_cast<std::size_t>(i)];
    l.input_layernorm = LINNET_TRY(b.view(p + "input_layernorm.weight"));
    l.post_attention_layernorm = LINNET_TRY(b.view(p + "post_attention_layernorm.weight"));
    l.gate_proj = LINNET_TRY(b.view(p + "mlp.gate_proj.weight"));
    l.up_proj = LINNET_TRY(b.view(p + "mlp.up_proj.weight"));
    l.down_proj = LINNET_TRY(b.view(p + "mlp.down_proj.weight"));
    if (l.kind == LayerKind::kLinearAttention) {
      const std::string q = p + "linear_attn.";
      l.linear.in_proj_qkv = LINNET_TRY(b.view(q + "in_proj_qkv.weight"));
      l.linear.in_proj_z = LINNET_TRY(b.view(q + "in_proj_z.weight"));
      l.linear.in_proj_b = LINNET_TRY(b.view(q + "in_proj_b.weight"));
      l.linear.in_proj_a = LINNET_TRY(b.view(q + "in_proj_a.weight"));
      l.linear.conv1d = LINNET_TRY(b.view(q + "conv1d.weight"));
      l.linear.dt_bias = LINNET_TRY(b.view(q + "dt_bias"));
      l.linear.a_log = LINNET_TRY(b.view(q + "A_log"));
      l.linear.norm = LINNET_TRY(b.view(q + "norm.weight"));
      l.linear.out_proj = LINNET_TRY(b.view(q + "out_proj.weight"));
    } else {
      const std::string q = p + "self_attn.";
      l.attention.q_proj = LINNET_TRY(b.view(q + "q_proj.weight"));
      l.attention.k_proj = LINNET_TRY(b.view(q + "k_proj.weight"));
      l.attention.v_proj = LINNET_TRY(b.view(q + "v_proj.weight"));
      l.attention.o_proj = LINNET_TRY(b.view(q + "o_proj.weight"));
      l.attention.q_norm = LINNET_TRY(b.view(q + "q_norm.weight"));
      l.attention.k_norm = LINNET_TRY(b.view(q + "k_norm.weight"));
    }
    w.layers.push_back(std::move(l));
  }
  return out;
}

}  // namespace linnet::testing
