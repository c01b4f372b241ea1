#include "converter/lib/tokenizer_json.h"

#include <array>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace linnet::convert {
namespace {

using nlohmann::json;

// The split regexes as they appear (JSON-decoded) in tokenizer.json.
constexpr std::string_view kQwen35Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

constexpr std::uint32_t kMaxVocab = 1u << 24;  // far above any real vocabulary

Error bad(ErrorCode code, const std::string& file, const std::string& what) {
  return Error(code, file + ": " + what);
}

// GPT-2's byte-to-unicode map, inverted: code point -> byte, for code points < 512.
// Printable Latin-1 bytes (33..126, 161..172, 174..255) stand for themselves; the other
// 68 bytes map, in increasing order, to U+0100, U+0101, ...
std::array<std::int16_t, 512> unicode_to_byte_table() {
  std::array<std::int16_t, 512> table{};
  table.fill(-1);
  int next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
    table[static_cast<std::size_t>(printable ? b : next++)] = static_cast<std::int16_t>(b);
  }
  return table;
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i, or nullopt.
std::optional<std::uint32_t> next_code_point(std::string_view s, std::size_t& i) {
  const auto c0 = static_cast<std::uint8_t>(s[i]);
  int len = c0 < 0x80 ? 1 : (c0 >> 5) == 6 ? 2 : (c0 >> 4) == 14 ? 3 : (c0 >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) return std::nullopt;
  std::uint32_t cp = len == 1 ? c0 : (c0 & (0x7Fu >> len));
  for (int k = 1; k < len; ++k) {
    const auto c = static_cast<std::uint8_t>(s[i + static_cast<std::size_t>(k)]);
    if ((c & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (c & 0x3Fu);
  }
  i += static_cast<std::size_t>(len);
  return cp;
}

// A byte-level token string ("Ġthe") back to raw bytes (" the").
std::optional<std::string> byte_level_to_bytes(std::string_view token,
                                               const std::array<std::int16_t, 512>& table) {
  std::string out;
  out.reserve(token.size());
  std::size_t i = 0;
  while (i < token.size()) {
    auto cp = next_code_point(token, i);
    if (!cp || *cp >= table.size() || table[*cp] < 0) return std::nullopt;
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(table[*cp])));
  }
  return out;
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kNotFound, path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Error(ErrorCode::kIo, path + ": read failed");
  return ss.str();
}

// tokenizer_config's eos_token / pad_token: a string, or {"content": "..."} in older files.
std::optional<std::string> token_content(const json& config, const char* key) {
  if (!config.is_object() || !config.contains(key)) return std::nullopt;
  const json& v = config[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string())
    return v["content"].get<std::string>();
  return std::nullopt;
}

bool is_null_or(const json& obj, const char* key, const json& allowed) {
  if (!obj.contains(key) || obj[key].is_null()) return true;
  return obj[key] == allowed;
}

Status check_model_options(const json& model, const std::string& file) {
  if (!model.contains("type") || model["type"] != "BPE") {
    const std::string type = model.contains("type") ? model["type"].dump() : "missing";
    return bad(ErrorCode::kUnsupported, file, "model type " + type + " (only BPE is supported)");
  }
  if (!is_null_or(model, "byte_fallback", false))
    return bad(ErrorCode::kUnsupported, file, "model.byte_fallback is not supported");
  if (!is_null_or(model, "ignore_merges", false))
    return bad(ErrorCode::kUnsupported, file, "model.ignore_merges is not supported");
  if (!is_null_or(model, "continuing_subword_prefix", "") ||
      !is_null_or(model, "end_of_word_suffix", ""))
    return bad(ErrorCode::kUnsupported, file, "subword prefixes/suffixes are not supported");
  if (!is_null_or(model, "dropout", 0.0))
    return bad(ErrorCode::kUnsupported, file, "BPE dropout is not supported");
  return ok_status();
}

Result<std::string> normalizer_kind(const json& root, const std::string& file) {
  if (!root.contains("normalizer") || root["normalizer"].is_null()) return std::string("none");
  const json& n = root["normalizer"];
  if (n.is_object() && n.contains("type") && n["type"] == "NFC") return std::string("NFC");
  return bad(ErrorCode::kUnsupported, file, "normalizer " + n.dump() + " (only NFC or none)");
}

bool is_byte_level_without_regex(const json& p) {
  return p.is_object() && p.contains("type") && p["type"] == "ByteLevel" &&
         is_null_or(p, "add_prefix_space", false) && p.contains("use_regex") &&
         p["use_regex"] == false;
}

Result<std::string> pre_tokenizer_kind(const json& root, const std::string& file) {
  const json* pre = root.contains("pre_tokenizer") ? &root["pre_tokenizer"] : nullptr;
  const auto unsupported = [&] {
    return bad(ErrorCode::kUnsupported, file,
               "pre_tokenizer " + (pre ? pre->dump().substr(0, 300) : std::string("missing")) +
                   " (expected Sequence[Split(Qwen regex, Isolated), ByteLevel(use_regex=false)])");
  };
  if (!pre || !pre->is_object() || !pre->contains("type") || (*pre)["type"] != "Sequence" ||
      !pre->contains("pretokenizers") || !(*pre)["pretokenizers"].is_array() ||
      (*pre)["pretokenizers"].size() != 2)
    return unsupported();
  const json& split = (*pre)["pretokenizers"][0];
  if (!split.is_object() || split.value("type", "") != "Split" ||
      split.value("behavior", "") != "Isolated" || split.value("invert", false) ||
      !split.contains("pattern") || !split["pattern"].is_object() ||
      !split["pattern"].contains("Regex") || !split["pattern"]["Regex"].is_string())
    return unsupported();
  if (!is_byte_level_without_regex((*pre)["pretokenizers"][1])) return unsupported();
  const std::string regex = split["pattern"]["Regex"].get<std::string>();
  if (regex == kQwen35Regex) return std::string("qwen3.5");
  if (regex == kQwen2Regex) return std::string("qwen2");
  return bad(ErrorCode::kUnsupported, file, "pre-tokenizer regex is not the Qwen3.5 or Qwen2 one: " + regex);
}

// One merge as its two token strings: "a b" or ["a", "b"].
std::optional<std::pair<std::string, std::string>> merge_pair(const json& m) {
  if (m.is_string()) {
    const std::string s = m.get<std::string>();
    const auto space = s.find(' ');
    if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) return std::nullopt;
    return std::make_pair(s.substr(0, space), s.substr(space + 1));
  }
  if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string())
    return std::make_pair(m[0].get<std::string>(), m[1].get<std::string>());
  return std::nullopt;
}

}  // namespace

TokenizerSource TokenizerData::view() const {
  TokenizerSource s;
  s.vocab_bytes = vocab_bytes;
  s.vocab_offsets = vocab_offsets;
  s.merge_left = merge_left;
  s.merge_right = merge_right;
  s.merge_result = merge_result;
  s.added_tokens.reserve(added_tokens.size());
  for (const AddedTokenData& t : added_tokens) s.added_tokens.push_back({t.id, t.content, t.special});
  s.eos_id = eos_id;
  s.pad_id = pad_id;
  s.endoftext_id = endoftext_id;
  s.im_start_id = im_start_id;
  s.im_end_id = im_end_id;
  s.think_id = think_id;
  s.end_think_id = end_think_id;
  s.normalizer = normalizer;
  s.pre_tokenizer = pre_tokenizer;
  return s;
}

namespace {

Result<TokenizerData> parse_tokenizer_json_unguarded(const std::string& tokenizer_json,
                                                     const std::string& config_json,
                                                     const std::string& origin) {
  const std::string file = origin + "/tokenizer.json";
  const std::string config_file = origin + "/tokenizer_config.json";
  const json root = json::parse(tokenizer_json, nullptr, false);
  if (root.is_discarded()) return bad(ErrorCode::kCorrupt, file, "malformed JSON");
  if (!root.is_object() || !root.contains("model") || !root["model"].is_object())
    return bad(ErrorCode::kCorrupt, file, "no \"model\" object");
  const json& model = root["model"];
  LINNET_TRY(check_model_options(model, file));

  TokenizerData out;
  out.normalizer = LINNET_TRY(normalizer_kind(root, file));
  out.pre_tokenizer = LINNET_TRY(pre_tokenizer_kind(root, file));
  if (root.contains("decoder") && !root["decoder"].is_null() &&
      (!root["decoder"].is_object() || root["decoder"].value("type", "") != "ByteLevel"))
    return bad(ErrorCode::kUnsupported, file, "decoder " + root["decoder"].dump() + " (only ByteLevel)");

  // Vocabulary: byte-level strings -> raw bytes, indexed by id.
  if (!model.contains("vocab") || !model["vocab"].is_object())
    return bad(ErrorCode::kCorrupt, file, "model.vocab is not an object");
  const auto table = unicode_to_byte_table();
  std::vector<std::optional<std::string>> by_id;
  std::unordered_map<std::string, std::uint32_t> id_of;  // byte-level string -> id
  id_of.reserve(model["vocab"].size());
  for (const auto& [token, id_json] : model["vocab"].items()) {
    if (!id_json.is_number_unsigned() || id_json.get<std::uint64_t>() >= kMaxVocab)
      return bad(ErrorCode::kCorrupt, file, "vocab entry " + json(token).dump() + " has a bad id " + id_json.dump());
    const auto id = id_json.get<std::uint32_t>();
    auto bytes = byte_level_to_bytes(token, table);
    if (!bytes)
      return bad(ErrorCode::kCorrupt, file,
                 "vocab entry " + json(token).dump() + " is not a byte-level token string");
    if (id >= by_id.size()) by_id.resize(id + 1);
    if (by_id[id]) return bad(ErrorCode::kCorrupt, file, "vocab id " + std::to_string(id) + " appears twice");
    by_id[id] = std::move(*bytes);
    id_of.emplace(token, id);
  }

  // Merges, in rank order; the result of a merge is the token spelled left+right.
  if (!model.contains("merges") || !model["merges"].is_array())
    return bad(ErrorCode::kCorrupt, file, "model.merges is not an array");
  const json& merges = model["merges"];
  out.merge_left.reserve(merges.size());
  out.merge_right.reserve(merges.size());
  out.merge_result.reserve(merges.size());
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    auto pair = merge_pair(merges[rank]);
    if (!pair) return bad(ErrorCode::kCorrupt, file, "merge " + std::to_string(rank) + " is malformed: " + merges[rank].dump());
    const auto left = id_of.find(pair->first);
    const auto right = id_of.find(pair->second);
    const auto result = id_of.find(pair->first + pair->second);
    const char* missing = left == id_of.end() ? "left" : right == id_of.end() ? "right" : result == id_of.end() ? "merged" : nullptr;
    if (missing)
      return bad(ErrorCode::kCorrupt, file,
                 "merge " + std::to_string(rank) + " " + merges[rank].dump() + ": the " + missing +
                     " token is not in the vocabulary");
    out.merge_left.push_back(left->second);
    out.merge_right.push_back(right->second);
    out.merge_result.push_back(result->second);
  }

  // Added tokens: their ids hold their UTF-8 content.
  if (root.contains("added_tokens") && !root["added_tokens"].is_null()) {
    if (!root["added_tokens"].is_array()) return bad(ErrorCode::kCorrupt, file, "added_tokens is not an array");
    for (const json& t : root["added_tokens"]) {
      if (!t.is_object() || !t.contains("id") || !t["id"].is_number_unsigned() ||
          t["id"].get<std::uint64_t>() >= kMaxVocab || !t.contains("content") ||
          !t["content"].is_string() || t["content"].get<std::string>().empty())
        return bad(ErrorCode::kCorrupt, file, "malformed added token " + t.dump());
      AddedTokenData a;
      a.id = t["id"].get<std::uint32_t>();
      a.content = t["content"].get<std::string>();
      a.special = t.value("special", false);
      if (t.value("lstrip", false) || t.value("rstrip", false) || t.value("single_word", false))
        return bad(ErrorCode::kUnsupported, file, "added token " + json(a.content).dump() + ": lstrip/rstrip/single_word are not supported");
      if (a.id >= by_id.size()) by_id.resize(a.id + 1);
      by_id[a.id] = a.content;
      out.added_tokens.push_back(std::move(a));
    }
  }

  out.vocab_offsets.reserve(by_id.size() + 1);
  out.vocab_offsets.push_back(0);
  for (const auto& bytes : by_id) {
    if (bytes) out.vocab_bytes.insert(out.vocab_bytes.end(), bytes->begin(), bytes->end());
    if (out.vocab_bytes.size() > std::numeric_limits<std::uint32_t>::max())
      return bad(ErrorCode::kUnsupported, file, "vocabulary bytes exceed 4 GiB");
    out.vocab_offsets.push_back(static_cast<std::uint32_t>(out.vocab_bytes.size()));
  }

  const auto added_id = [&](std::string_view content) -> std::int32_t {
    for (const AddedTokenData& a : out.added_tokens)
      if (a.content == content) return static_cast<std::int32_t>(a.id);
    return -1;
  };
  out.endoftext_id = added_id("<|endoftext|>");
  out.im_start_id = added_id("<|im_start|>");
  out.im_end_id = added_id("<|im_end|>");
  out.think_id = added_id("<think>");
  out.end_think_id = added_id("</think>");

  // tokenizer_config.json: eos_token and pad_token by content (defaults: Qwen's).
  std::string eos = "<|im_end|>";
  std::string pad = "<|endoftext|>";
  if (!config_json.empty()) {
    const json config = json::parse(config_json, nullptr, false);
    if (config.is_discarded() || !config.is_object())
      return bad(ErrorCode::kCorrupt, config_file, "malformed JSON");
    if (auto e = token_content(config, "eos_token")) eos = *e;
    if (auto p = token_content(config, "pad_token")) pad = *p;
  }
  out.eos_id = added_id(eos);
  if (out.eos_id < 0) return bad(ErrorCode::kCorrupt, config_file, "eos_token " + json(eos).dump() + " is not an added token");
  out.pad_id = added_id(pad);
  if (out.pad_id < 0) return bad(ErrorCode::kCorrupt, config_file, "pad_token " + json(pad).dump() + " is not an added token");
  return out;
}

}  // namespace

Result<TokenizerData> parse_tokenizer_json(const std::string& tokenizer_json,
                                           const std::string& config_json,
                                           const std::string& origin) {
  // nlohmann throws type_error when a field has an unexpected type (e.g. a number
  // where a bool belongs); that is a malformed file, reported as a value here.
  try {
    return parse_tokenizer_json_unguarded(tokenizer_json, config_json, origin);
  } catch (const nlohmann::json::exception& e) {
    return Error(ErrorCode::kCorrupt, origin + "/tokenizer.json: unexpected JSON structure: " + e.what());
  }
}

Result<TokenizerData> read_tokenizer_files(const std::string& hf_dir) {
  const std::string tokenizer_json = LINNET_TRY(read_text_file(hf_dir + "/tokenizer.json"));
  std::string config_json;
  const std::string config_path = hf_dir + "/tokenizer_config.json";
  if (std::ifstream(config_path).good()) config_json = LINNET_TRY(read_text_file(config_path));
  return parse_tokenizer_json(tokenizer_json, config_json, hf_dir);
}

}  // namespace linnet::convert
