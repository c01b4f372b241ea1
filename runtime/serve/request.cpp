#include "runtime/serve/request.h"

#include <cmath>
#include <initializer_list>
#include <limits>
#include <utility>

#include "runtime/serve/base64.h"
#include "runtime/serve/classify_fields.h"
#include "runtime/serve/crc32.h"
#include "runtime/serve/field_reader.h"

namespace linnet::serve {
namespace {

using Json = nlohmann::json;

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

ParsedLine parse_classify(RequestId id, const Json& doc) {
  auto fields = read_classify_fields(doc, {}, /*labels_required=*/true);
  if (!fields.ok()) return bad_request(std::move(id), fields.error().message());
  ClassifyCommand c;
  c.request.text = std::move(fields->text);
  c.request.system = fields->system.value_or("");
  c.request.labels = std::move(*fields->labels);
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

// In the order of the Command alternatives, each named by command_name(): a new command
// is listed (by `info`, in the unknown-command message) without another list to edit.
const std::vector<std::string_view>& command_names() {
  static const std::vector<std::string_view> kNames = [] {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::vector<std::string_view>{command_name(Command(std::in_place_index<I>))...};
    }(std::make_index_sequence<std::variant_size_v<Command>>{});
  }();
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
  if (cmd == "classify") return parse_classify(std::move(*id), doc);
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
