#include "converter/lib/hf_config.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/bundle/hyper_params.h"

namespace linnet::convert {
namespace {

using nlohmann::json;

// Field readers: `where` names the file, the key names the field.
class Fields {
 public:
  Fields(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  const json* find(const char* key) const {
    auto it = obj_.find(key);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }
  Error bad(const char* key, const char* what) const {
    return Error(ErrorCode::kCorrupt, where_ + ": field '" + key + "' " + what);
  }
  Result<int> get_int(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return bad(key, "is missing");
    if (!v->is_number_integer() || v->get<long long>() < 0 || v->get<long long>() > (1LL << 30)) {
      return bad(key, "is not a non-negative integer");
    }
    return static_cast<int>(v->get<long long>());
  }
  Result<int> get_int_or(const char* key, int fallback) const {
    return find(key) == nullptr ? Result<int>(fallback) : get_int(key);
  }
  Result<double> get_number(const char* key) const {
    const json* v = find(key);
    if (v == nullptr) return bad(key, "is missing");
    if (!v->is_number()) return bad(key, "is not a number");
    return v->get<double>();
  }
  Result<bool> get_bool_or(const char* key, bool fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) return bad(key, "is not a boolean");
    return v->get<bool>();
  }

 private:
  const json& obj_;
  std::string where_;
};

Result<HyperParams> parse_text_config(const json& text, const json& top, const std::string& where) {
  const Fields f(text, where);
  HyperParams hp;
  hp.hidden_size = LINNET_TRY(f.get_int("hidden_size"));
  hp.num_layers = LINNET_TRY(f.get_int("num_hidden_layers"));
  hp.intermediate_size = LINNET_TRY(f.get_int("intermediate_size"));
  hp.vocab_size = LINNET_TRY(f.get_int("vocab_size"));
  hp.num_attention_heads = LINNET_TRY(f.get_int("num_attention_heads"));
  hp.num_key_value_heads = LINNET_TRY(f.get_int_or("num_key_value_heads", hp.num_attention_heads));
  hp.head_dim = LINNET_TRY(f.get_int_or("head_dim", hp.num_attention_heads > 0 ? hp.hidden_size / hp.num_attention_heads : 0));
  hp.linear_num_key_heads = LINNET_TRY(f.get_int("linear_num_key_heads"));
  hp.linear_num_value_heads = LINNET_TRY(f.get_int("linear_num_value_heads"));
  hp.linear_key_head_dim = LINNET_TRY(f.get_int("linear_key_head_dim"));
  hp.linear_value_head_dim = LINNET_TRY(f.get_int("linear_value_head_dim"));
  hp.linear_conv_kernel_dim = LINNET_TRY(f.get_int_or("linear_conv_kernel_dim", 4));
  hp.max_position_embeddings = LINNET_TRY(f.get_int_or("max_position_embeddings", 0));
  hp.rms_norm_eps = static_cast<float>(LINNET_TRY(f.get_number("rms_norm_eps")));

  // rope_parameters (transformers 5) or top-level rope_theta / partial_rotary_factor.
  const json* rope = f.find("rope_parameters");
  if (rope != nullptr && !rope->is_object()) return f.bad("rope_parameters", "is not an object");
  const Fields r(rope != nullptr ? *rope : text, where + (rope != nullptr ? " rope_parameters" : ""));
  hp.rope_theta = r.find("rope_theta") != nullptr ? LINNET_TRY(r.get_number("rope_theta"))
                                                  : LINNET_TRY(f.get_number("rope_theta"));
  hp.partial_rotary_factor = static_cast<float>(
      r.find("partial_rotary_factor") != nullptr ? LINNET_TRY(r.get_number("partial_rotary_factor"))
      : f.find("partial_rotary_factor") != nullptr ? LINNET_TRY(f.get_number("partial_rotary_factor"))
                                                   : 1.0);

  // Tied embeddings: the text config's own flag, else the top level's; Qwen3.5 default true.
  const Fields top_fields(top, where);
  const bool top_tie = LINNET_TRY(top_fields.get_bool_or("tie_word_embeddings", true));
  hp.tie_word_embeddings = LINNET_TRY(f.get_bool_or("tie_word_embeddings", top_tie));

  if (const json* types = f.find("layer_types")) {
    if (!types->is_array()) return f.bad("layer_types", "is not an array");
    for (const auto& t : *types) {
      if (t == "linear_attention") {
        hp.layer_types.push_back(LayerKind::kLinearAttention);
      } else if (t == "full_attention") {
        hp.layer_types.push_back(LayerKind::kFullAttention);
      } else {
        return f.bad("layer_types", ("has an unknown layer type " + t.dump()).c_str());
      }
    }
  } else {
    const int interval = LINNET_TRY(f.get_int_or("full_attention_interval", 4));
    if (interval <= 0) return f.bad("full_attention_interval", "is not positive");
    for (int i = 0; i < hp.num_layers; ++i) {
      hp.layer_types.push_back((i + 1) % interval == 0 ? LayerKind::kFullAttention : LayerKind::kLinearAttention);
    }
  }
  auto st = validate_hyper_params(hp);
  if (!st.ok()) return std::move(st).error().with_context(where);
  return hp;
}

}  // namespace

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kNotFound, path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Error(ErrorCode::kIo, path + ": read failed");
  return ss.str();
}

Result<ModelConfigData> parse_hf_config(const std::string& json_text, const std::string& origin) {
  const json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Error(ErrorCode::kCorrupt, origin + ": malformed JSON (not a JSON object)");
  }
  ModelConfigData out;
  auto mt = doc.find("model_type");
  if (mt == doc.end() || !mt->is_string()) return Error(ErrorCode::kCorrupt, origin + ": field 'model_type' is missing");
  out.model_type = mt->get<std::string>();
  if (auto np = doc.find("_name_or_path"); np != doc.end() && np->is_string()) out.name_or_path = np->get<std::string>();
  if (out.model_type == "qwen3_5") {
    auto tc = doc.find("text_config");
    if (tc == doc.end() || !tc->is_object()) {
      return Error(ErrorCode::kCorrupt, origin + ": model_type qwen3_5 without a text_config object");
    }
    out.hp = LINNET_TRY(parse_text_config(*tc, doc, origin + " text_config"));
  } else if (out.model_type == "qwen3_5_text") {
    out.hp = LINNET_TRY(parse_text_config(doc, doc, origin));
  } else {
    return Error(ErrorCode::kUnsupported, origin + ": unknown model_type '" + out.model_type +
                                              "' (supported: qwen3_5, qwen3_5_text)");
  }
  return out;
}

Result<ModelConfigData> read_hf_config(const std::string& path) {
  const std::string text = LINNET_TRY(read_text_file(path));
  return parse_hf_config(text, path);
}

Result<GenerationDefaults> read_generation_config(const std::string& path) {
  GenerationDefaults g;
  auto text = read_text_file(path);
  if (!text.ok()) {
    if (text.error().code() == ErrorCode::kNotFound) return g;
    return std::move(text).error();
  }
  const json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Error(ErrorCode::kCorrupt, path + ": malformed JSON (not a JSON object)");
  }
  const Fields f(doc, path);
  if (f.find("temperature")) g.temperature = static_cast<float>(LINNET_TRY(f.get_number("temperature")));
  if (f.find("top_k")) g.top_k = LINNET_TRY(f.get_int("top_k"));
  if (f.find("top_p")) g.top_p = static_cast<float>(LINNET_TRY(f.get_number("top_p")));
  if (f.find("min_p")) g.min_p = static_cast<float>(LINNET_TRY(f.get_number("min_p")));
  if (f.find("repetition_penalty")) g.repetition_penalty = static_cast<float>(LINNET_TRY(f.get_number("repetition_penalty")));
  if (f.find("max_new_tokens")) g.max_new_tokens = LINNET_TRY(f.get_int("max_new_tokens"));
  return g;
}

}  // namespace linnet::convert
