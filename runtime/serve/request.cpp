#include "runtime/serve/request.h"

#include <cmath>
#include <initializer_list>
#include <limits>

#include "runtime/serve/base64.h"
#include "runtime/serve/crc32.h"

namespace linnet::serve {
namespace {

using Json = nlohmann::json;

// [min, max], with either end open.
struct NumberRange {
  double min = 0;
  double max = 0;
  bool min_open = false;
  bool max_open = false;
};

// Reads the fields of one request object, stopping at the first problem and keeping
// a message that names the field. Every getter checks the JSON type before reading,
// so nlohmann never throws.
class FieldReader {
 public:
  explicit FieldReader(const Json& object) : object_(object) {}

  const std::string& error() const { return error_; }
  bool has(std::string_view key) const { return object_.contains(key); }

  bool read_string(std::string_view key, bool required, std::size_t max_bytes, std::string& out) {
    const Json* v = find(key, required);
    if (v == nullptr) return error_.empty();
    if (!v->is_string()) return fail(key, "must be a string");
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() > max_bytes) return fail(key, "is longer than " + std::to_string(max_bytes) + " bytes");
    out = s;
    return true;
  }

  bool read_uint(std::string_view key, bool required, std::uint64_t min, std::uint64_t max,
                 std::uint64_t& out) {
    const Json* v = find(key, required);
    if (v == nullptr) return error_.empty();
    const std::string range = "an integer in " + std::to_string(min) + ".." + std::to_string(max);
    // nlohmann stores non-negative integers as unsigned: anything else (negative,
    // fractional, not a number) is out.
    if (!v->is_number_unsigned()) return fail(key, "must be " + range);
    out = v->get<std::uint64_t>();
    if (out < min || out > max) return fail(key, "must be " + range);
    return true;
  }

  // Optional unsigned field: `out` is set only when present (and valid).
  template <typename T>
  bool read_uint(std::string_view key, std::uint64_t min, std::uint64_t max, std::optional<T>& out) {
    if (!has(key)) return true;
    std::uint64_t v = 0;
    if (!read_uint(key, true, min, max, v)) return false;
    out = static_cast<T>(v);
    return true;
  }

  // A number in `range`; `out` is set only when present (and valid).
  bool read_number(std::string_view key, const NumberRange& range, std::optional<float>& out) {
    const Json* v = find(key, false);
    if (v == nullptr) return error_.empty();
    const std::string shape = "must be a number in " + std::string(range.min_open ? "(" : "[") +
                              trim_number(range.min) + ", " + trim_number(range.max) +
                              (range.max_open ? ")" : "]");
    if (!v->is_number()) return fail(key, shape);
    const double d = v->get<double>();
    if (!std::isfinite(d) || d > range.max || d < range.min || (range.min_open && d == range.min) ||
        (range.max_open && d == range.max)) {
      return fail(key, shape);
    }
    out = static_cast<float>(d);
    return true;
  }

  bool read_bool(std::string_view key, std::optional<bool>& out) {
    const Json* v = find(key, false);
    if (v == nullptr) return error_.empty();
    if (!v->is_boolean()) return fail(key, "must be true or false");
    out = v->get<bool>();
    return true;
  }

  // An array of min..max distinct strings, each 1..max_bytes bytes.
  bool read_string_list(std::string_view key, bool required, std::size_t min, std::size_t max,
                        std::size_t max_bytes, std::vector<std::string>& out) {
    const Json* v = find(key, required);
    if (v == nullptr) return error_.empty();
    const std::string shape = "must be an array of " + std::to_string(min) + ".." +
                              std::to_string(max) + " distinct non-empty strings of at most " +
                              std::to_string(max_bytes) + " bytes";
    if (!v->is_array() || v->size() < min || v->size() > max) return fail(key, shape);
    out.clear();
    for (const Json& item : *v) {
      if (!item.is_string()) return fail(key, shape);
      const auto& s = item.get_ref<const std::string&>();
      if (s.empty() || s.size() > max_bytes) return fail(key, shape);
      for (const std::string& seen : out) {
        if (seen == s) return fail(key, shape + " ('" + s + "' appears twice)");
      }
      out.push_back(s);
    }
    return true;
  }

  // Fails on any key not in `allowed` (besides "id" and "cmd"): a misspelt optional
  // field would otherwise be silently ignored.
  bool only(std::string_view cmd, std::initializer_list<std::string_view> allowed) {
    for (const auto& item : object_.items()) {
      const std::string& key = item.key();
      if (key == "id" || key == "cmd") continue;
      bool known = false;
      for (std::string_view a : allowed) known = known || a == key;
      if (!known) {
        std::string list;
        for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        error_ = "unknown field '" + key + "' (" + std::string(cmd) + " takes " +
                 (list.empty() ? "no fields" : list) + ")";
        return false;
      }
    }
    return true;
  }

  bool fail(std::string_view key, std::string_view what) {
    error_ = "field '" + std::string(key) + "' " + std::string(what);
    return false;
  }

 private:
  const Json* find(std::string_view key, bool required) {
    auto it = object_.find(key);
    if (it == object_.end()) {
      if (required) error_ = "missing field '" + std::string(key) + "'";
      return nullptr;
    }
    return &*it;
  }

  static std::string trim_number(double d) {
    std::string s = std::to_string(d);
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s;
  }

  const Json& object_;
  std::string error_;
};

RequestError bad_request(RequestId id, std::string message) {
  return RequestError{std::move(id), ProtocolError::kBadRequest, std::move(message)};
}

std::optional<std::uint32_t> parse_hex32(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : s) {
    std::uint32_t d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<std::uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<std::uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<std::uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    v = (v << 4) | d;
  }
  return v;
}

// Reads a request id value (the "id" field, or cancel's "target").
std::optional<RequestId> to_request_id(const Json& v) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return RequestId::number(static_cast<std::int64_t>(u));
  }
  if (v.is_number_integer()) return RequestId::number(v.get<std::int64_t>());
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty() || s.size() > kMaxIdStringBytes) return std::nullopt;
    return RequestId::text(s);
  }
  return std::nullopt;
}

constexpr std::string_view kIdShape = "an integer or a string of 1..64 bytes";

ParsedLine parse_cancel(RequestId id, const Json& doc, FieldReader& f) {
  if (!f.only("cancel", {"target"})) return bad_request(std::move(id), f.error());
  CancelCommand c;
  if (auto it = doc.find("target"); it != doc.end()) {
    auto target = to_request_id(*it);
    if (!target) return bad_request(std::move(id), "field 'target' must be " + std::string(kIdShape));
    c.target = std::move(*target);
  }
  return Request{std::move(id), c};
}

ParsedLine parse_classify(RequestId id, FieldReader& f) {
  ClassifyCommand c;
  const std::size_t no_limit = std::numeric_limits<std::size_t>::max();
  if (!f.only("classify", {"text", "labels", "system"}) ||
      !f.read_string("text", true, no_limit, c.request.text) ||
      !f.read_string_list("labels", true, 2, kMaxLabels, kMaxLabelBytes, c.request.labels) ||
      !f.read_string("system", false, no_limit, c.request.system)) {
    return bad_request(std::move(id), f.error());
  }
  return Request{std::move(id), std::move(c)};
}

ParsedLine parse_generate(RequestId id, FieldReader& f) {
  GenerateCommand c;
  GenerateOptions& o = c.options;
  const std::size_t no_limit = std::numeric_limits<std::size_t>::max();
  std::optional<bool> chat, stream;
  if (!f.only("generate", {"prompt", "system", "chat", "think", "max_tokens", "temperature", "top_p",
                           "top_k", "min_p", "repetition_penalty", "seed", "stop", "stream"}) ||
      !f.read_string("prompt", true, no_limit, c.prompt) ||
      !f.read_string("system", false, no_limit, o.system) || !f.read_bool("chat", chat) ||
      !f.read_bool("think", o.thinking) || !f.read_bool("stream", stream) ||
      !f.read_uint("max_tokens", 1, kMaxGenerateTokens, o.max_tokens) ||
      !f.read_number("temperature", {.min = 0.0, .max = 10.0}, o.temperature) ||
      !f.read_number("top_p", {.min = 0.0, .max = 1.0, .min_open = true}, o.top_p) ||
      !f.read_uint("top_k", 0, 100000, o.top_k) ||
      !f.read_number("min_p", {.min = 0.0, .max = 1.0, .max_open = true}, o.min_p) ||
      !f.read_number("repetition_penalty", {.min = 0.0, .max = 10.0, .min_open = true}, o.repetition_penalty) ||
      !f.read_uint("seed", 0, std::numeric_limits<std::uint64_t>::max(), o.seed) ||
      !f.read_string_list("stop", false, 0, kMaxStopStrings, kMaxStopStringBytes, o.stop)) {
    return bad_request(std::move(id), f.error());
  }
  if (chat) o.chat = *chat;
  if (stream) c.stream = *stream;
  if (!o.chat && !o.system.empty()) {
    return bad_request(std::move(id), "field 'system' needs chat mode (\"chat\": true)");
  }
  return Request{std::move(id), std::move(c)};
}

ParsedLine parse_ota_begin(RequestId id, FieldReader& f, std::size_t max_head_chars) {
  std::string text;
  if (!f.only("ota_begin", {"head"}) || !f.read_string("head", true, max_head_chars, text)) {
    return bad_request(std::move(id), f.error());
  }
  auto bytes = base64_decode(text);
  if (!bytes || bytes->empty()) {
    return bad_request(std::move(id), "field 'head' must be non-empty base64");
  }
  return Request{std::move(id), OtaBeginCommand{std::move(*bytes)}};
}

ParsedLine parse_ota_chunk(RequestId id, FieldReader& f, const ParseLimits& limits) {
  OtaChunkCommand c;
  std::string data, crc_text;
  const std::size_t max_chars = (limits.max_ota_chunk_bytes + 2) / 3 * 4;
  if (!f.only("ota_chunk", {"offset", "data", "crc32"}) ||
      !f.read_uint("offset", true, 0, std::uint64_t{1} << 48, c.offset) ||
      !f.read_string("data", true, std::numeric_limits<std::size_t>::max(), data) ||
      !f.read_string("crc32", true, 8, crc_text)) {
    return bad_request(std::move(id), f.error());
  }
  const auto crc = parse_hex32(crc_text);
  if (!crc) return bad_request(std::move(id), "field 'crc32' must be 8 hex digits");
  // Size first, so an oversized chunk is not decoded at all.
  auto bytes = data.size() <= max_chars ? base64_decode(data) : std::nullopt;
  if (!bytes || bytes->empty() || bytes->size() > limits.max_ota_chunk_bytes) {
    return bad_request(std::move(id), "field 'data' must be base64 of 1.." +
                                          std::to_string(limits.max_ota_chunk_bytes) + " bytes");
  }
  if (crc32(*bytes) != *crc) {
    return RequestError{std::move(id), ProtocolError::kChecksum,
                        "chunk at offset " + std::to_string(c.offset) +
                            ": CRC-32 of the data does not match 'crc32'"};
  }
  c.data = std::move(*bytes);
  return Request{std::move(id), std::move(c)};
}

template <typename C>
ParsedLine no_fields(RequestId id, std::string_view cmd, FieldReader& f) {
  if (!f.only(cmd, {})) return bad_request(std::move(id), f.error());
  return Request{std::move(id), C{}};
}

}  // namespace

std::string_view command_name(const Command& command) {
  struct Visitor {
    std::string_view operator()(const InfoCommand&) const { return "info"; }
    std::string_view operator()(const PingCommand&) const { return "ping"; }
    std::string_view operator()(const StatusCommand&) const { return "status"; }
    std::string_view operator()(const CancelCommand&) const { return "cancel"; }
    std::string_view operator()(const ClassifyCommand&) const { return "classify"; }
    std::string_view operator()(const GenerateCommand&) const { return "generate"; }
    std::string_view operator()(const OtaBeginCommand&) const { return "ota_begin"; }
    std::string_view operator()(const OtaChunkCommand&) const { return "ota_chunk"; }
    std::string_view operator()(const OtaCommitCommand&) const { return "ota_commit"; }
    std::string_view operator()(const OtaStatusCommand&) const { return "ota_status"; }
    std::string_view operator()(const OtaAbortCommand&) const { return "ota_abort"; }
  };
  return std::visit(Visitor{}, command);
}

const std::vector<std::string_view>& command_names() {
  static const std::vector<std::string_view> kNames = {
      "info",      "ping",      "status",     "cancel",     "classify",  "generate",
      "ota_begin", "ota_chunk", "ota_commit", "ota_status", "ota_abort"};
  return kNames;
}

ParsedLine parse_request(std::string_view line, const ParseLimits& limits) {
  const Json doc = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return RequestError{{}, ProtocolError::kBadJson, "the line is not valid JSON"};
  if (!doc.is_object()) return bad_request({}, "a request must be a JSON object");

  const auto id_it = doc.find("id");
  const auto cmd_it = doc.find("cmd");
  if (cmd_it == doc.end() && (doc.contains("ok") || doc.contains("event"))) return EchoedResponse{};
  if (id_it == doc.end()) return bad_request({}, "missing field 'id'");
  auto id = to_request_id(*id_it);
  if (!id) return bad_request({}, "field 'id' must be " + std::string(kIdShape));
  if (cmd_it == doc.end()) return bad_request(std::move(*id), "missing field 'cmd'");
  if (!cmd_it->is_string()) return bad_request(std::move(*id), "field 'cmd' must be a string");
  const std::string& cmd = cmd_it->get_ref<const std::string&>();

  FieldReader f(doc);
  if (cmd == "info") return no_fields<InfoCommand>(std::move(*id), cmd, f);
  if (cmd == "ping") return no_fields<PingCommand>(std::move(*id), cmd, f);
  if (cmd == "status") return no_fields<StatusCommand>(std::move(*id), cmd, f);
  if (cmd == "cancel") return parse_cancel(std::move(*id), doc, f);
  if (cmd == "classify") return parse_classify(std::move(*id), f);
  if (cmd == "generate") return parse_generate(std::move(*id), f);
  if (cmd == "ota_begin") return parse_ota_begin(std::move(*id), f, line.size());
  if (cmd == "ota_chunk") return parse_ota_chunk(std::move(*id), f, limits);
  if (cmd == "ota_commit") return no_fields<OtaCommitCommand>(std::move(*id), cmd, f);
  if (cmd == "ota_status") return no_fields<OtaStatusCommand>(std::move(*id), cmd, f);
  if (cmd == "ota_abort") return no_fields<OtaAbortCommand>(std::move(*id), cmd, f);

  std::string known;
  for (std::string_view n : command_names()) known += (known.empty() ? "" : ", ") + std::string(n);
  std::string shown = cmd.size() > 32 ? cmd.substr(0, 32) + "..." : cmd;
  return RequestError{std::move(*id), ProtocolError::kUnknownCommand,
                      "unknown command '" + shown + "' (commands: " + known + ")"};
}

}  // namespace linnet::serve
