#include "runtime/serve/request.h"

#include <gtest/gtest.h>

#include "runtime/serve/base64.h"
#include "runtime/serve/crc32.h"
#include "runtime/serve/response.h"

namespace linnet::serve {
namespace {

ParsedLine parse(std::string_view line) { return parse_request(line, ParseLimits{}); }

Request ok(std::string_view line) {
  ParsedLine p = parse(line);
  if (auto* e = std::get_if<RequestError>(&p)) {
    ADD_FAILURE() << line << ": " << e->message;
    return {};
  }
  EXPECT_TRUE(std::holds_alternative<Request>(p)) << line;
  return std::get<Request>(p);
}

RequestError err(std::string_view line) {
  ParsedLine p = parse(line);
  EXPECT_TRUE(std::holds_alternative<RequestError>(p)) << line;
  if (!std::holds_alternative<RequestError>(p)) return {};
  return std::get<RequestError>(p);
}

TEST(ParseRequest, IdsAreIntegersOrShortStrings) {
  EXPECT_EQ(ok(R"({"id":7,"cmd":"info"})").id, RequestId::number(7));
  EXPECT_EQ(ok(R"({"id":-3,"cmd":"info"})").id, RequestId::number(-3));
  EXPECT_EQ(ok(R"({"cmd":"info","id":"abc"})").id, RequestId::text("abc"));
  EXPECT_EQ(ok(R"({"id":9223372036854775807,"cmd":"ping"})").id,
            RequestId::number(9223372036854775807));
  for (const char* bad : {R"({"id":1.5,"cmd":"info"})", R"({"id":"","cmd":"info"})",
                          R"({"id":null,"cmd":"info"})", R"({"id":[1],"cmd":"info"})",
                          R"({"id":true,"cmd":"info"})", R"({"id":9223372036854775808,"cmd":"info"})"}) {
    RequestError e = err(bad);
    EXPECT_EQ(e.code, ProtocolError::kBadRequest) << bad;
    EXPECT_TRUE(e.id.empty()) << bad;
    EXPECT_NE(e.message.find("'id'"), std::string::npos) << e.message;
  }
  RequestError e = err(R"({"id":")" + std::string(65, 'x') + R"(","cmd":"info"})");
  EXPECT_TRUE(e.id.empty());
}

TEST(ParseRequest, NamesWhatIsWrong) {
  EXPECT_EQ(err("{not json").code, ProtocolError::kBadJson);
  EXPECT_EQ(err("[1,2]").code, ProtocolError::kBadRequest);
  EXPECT_EQ(err(R"({"cmd":"info"})").message, "missing field 'id'");

  RequestError e = err(R"({"id":4})");
  EXPECT_EQ(e.id, RequestId::number(4));
  EXPECT_EQ(e.message, "missing field 'cmd'");

  e = err(R"({"id":4,"cmd":"fly"})");
  EXPECT_EQ(e.code, ProtocolError::kUnknownCommand);
  EXPECT_EQ(e.id, RequestId::number(4));
  EXPECT_NE(e.message.find("'fly'"), std::string::npos);

  e = err(R"({"id":5,"cmd":"classify","labels":["a","b"]})");
  EXPECT_EQ(e.code, ProtocolError::kBadRequest);
  EXPECT_EQ(e.message, "missing field 'text'");

  e = err(R"({"id":5,"cmd":"classify","text":3,"labels":["a","b"]})");
  EXPECT_EQ(e.message, "field 'text' must be a string");

  e = err(R"({"id":5,"cmd":"generate","prompt":"x","max_token":5})");
  EXPECT_NE(e.message.find("unknown field 'max_token'"), std::string::npos) << e.message;

  e = err(R"({"id":5,"cmd":"info","verbose":true})");
  EXPECT_NE(e.message.find("info takes no fields"), std::string::npos) << e.message;
}

TEST(ParseRequest, Classify) {
  Request r = ok(R"({"id":1,"cmd":"classify","text":"hi","labels":["spam","ham"],"system":"s"})");
  const auto& c = std::get<ClassifyCommand>(r.command);
  EXPECT_EQ(c.request.text, "hi");
  EXPECT_EQ(c.request.system, "s");
  EXPECT_EQ(c.request.labels, (std::vector<std::string>{"spam", "ham"}));
  for (const char* bad : {R"({"id":1,"cmd":"classify","text":"x","labels":["a"]})",
                          R"({"id":1,"cmd":"classify","text":"x","labels":["a","a"]})",
                          R"({"id":1,"cmd":"classify","text":"x","labels":["a",""]})",
                          R"({"id":1,"cmd":"classify","text":"x","labels":"a,b"})",
                          R"({"id":1,"cmd":"classify","text":"x","labels":["a",2]})"}) {
    EXPECT_EQ(err(bad).code, ProtocolError::kBadRequest) << bad;
  }
}

TEST(ParseRequest, GenerateDefaultsAndRanges) {
  Request r = ok(R"({"id":2,"cmd":"generate","prompt":"hello"})");
  const auto& g = std::get<GenerateCommand>(r.command);
  EXPECT_EQ(g.prompt, "hello");
  EXPECT_TRUE(g.stream);
  EXPECT_TRUE(g.options.chat);
  EXPECT_FALSE(g.options.seed.has_value());
  EXPECT_FALSE(g.options.max_tokens.has_value());
  EXPECT_FALSE(g.options.temperature.has_value());
  EXPECT_FALSE(g.options.top_k.has_value());
  EXPECT_FALSE(g.options.top_p.has_value());
  EXPECT_FALSE(g.options.min_p.has_value());
  EXPECT_FALSE(g.options.repetition_penalty.has_value());

  r = ok(R"({"id":2,"cmd":"generate","prompt":"p","max_tokens":12,"temperature":0,"top_p":0.5,)"
         R"("top_k":0,"min_p":0.05,"repetition_penalty":1.1,"seed":18446744073709551615,"stop":["\n\n"],)"
         R"("stream":false,"think":true})");
  const auto& h = std::get<GenerateCommand>(r.command);
  EXPECT_EQ(h.options.max_tokens, std::optional<std::uint32_t>(12));
  EXPECT_EQ(h.options.temperature, std::optional<float>(0.0f));
  EXPECT_EQ(h.options.top_p, std::optional<float>(0.5f));
  EXPECT_EQ(h.options.top_k, std::optional<std::uint32_t>(0));
  EXPECT_EQ(h.options.min_p, std::optional<float>(0.05f));
  EXPECT_EQ(h.options.repetition_penalty, std::optional<float>(1.1f));
  EXPECT_EQ(h.options.seed, std::optional<std::uint64_t>(18446744073709551615ull));
  EXPECT_EQ(h.options.stop, (std::vector<std::string>{"\n\n"}));
  EXPECT_EQ(h.options.thinking, std::optional<bool>(true));
  EXPECT_FALSE(h.stream);

  for (const char* bad : {R"({"id":2,"cmd":"generate","prompt":"p","max_tokens":0})",
                          R"({"id":2,"cmd":"generate","prompt":"p","max_tokens":-1})",
                          R"({"id":2,"cmd":"generate","prompt":"p","max_tokens":1.5})",
                          R"({"id":2,"cmd":"generate","prompt":"p","max_tokens":40000})",
                          R"({"id":2,"cmd":"generate","prompt":"p","top_p":0})",
                          R"({"id":2,"cmd":"generate","prompt":"p","temperature":-0.1})",
                          R"({"id":2,"cmd":"generate","prompt":"p","temperature":"hot"})",
                          R"({"id":2,"cmd":"generate","prompt":"p","seed":-5})",
                          R"({"id":2,"cmd":"generate","prompt":"p","min_p":1})",
                          R"({"id":2,"cmd":"generate","prompt":"p","min_p":-0.1})",
                          R"({"id":2,"cmd":"generate","prompt":"p","repetition_penalty":0})",
                          R"({"id":2,"cmd":"generate","prompt":"p","repetition_penalty":11})",
                          R"({"id":2,"cmd":"generate","prompt":"p","stream":1})",
                          R"({"id":2,"cmd":"generate","prompt":"p","chat":false,"system":"s"})",
                          R"({"id":2,"cmd":"generate"})"}) {
    RequestError e = err(bad);
    EXPECT_EQ(e.code, ProtocolError::kBadRequest) << bad;
    EXPECT_EQ(e.id, RequestId::number(2)) << bad;
  }
  EXPECT_EQ(err(R"({"id":2,"cmd":"generate","prompt":"p","min_p":1})").message,
            "field 'min_p' must be a number in [0, 1)");
}

// Every field of every command, out of its range or of the wrong type: refused with a
// bad_request whose message names the field (docs/serial-protocol.md, "Commands").
TEST(ParseRequest, EveryFieldOutOfRangeIsRefusedByName) {
  const std::string many_labels = [] {
    std::string list;
    for (int i = 0; i < 65; ++i) list += (i ? ",\"l" : "\"l") + std::to_string(i) + "\"";
    return "[" + list + "]";
  }();
  const std::string long_label = "[\"a\",\"" + std::string(257, 'x') + "\"]";
  const std::string nine_stops = R"(["1","2","3","4","5","6","7","8","9"])";
  const std::string long_stop = "[\"" + std::string(65, 's') + "\"]";
  struct Case {
    std::string field, fields;
  };
  const std::string classify = R"("cmd":"classify","text":"x","labels":["a","b"])";
  const std::string generate = R"("cmd":"generate","prompt":"p")";
  const std::vector<Case> cases = {
      {"text", R"("cmd":"classify","text":3,"labels":["a","b"])"},
      {"labels", R"("cmd":"classify","text":"x","labels":["a"])"},
      {"labels", R"("cmd":"classify","text":"x","labels":)" + many_labels},
      {"labels", R"("cmd":"classify","text":"x","labels":)" + long_label},
      {"system", classify + R"(,"system":5)"},
      {"prompt", R"("cmd":"generate","prompt":12)"},
      {"system", generate + R"(,"system":["s"])"},
      {"chat", generate + R"(,"chat":"yes")"},
      {"think", generate + R"(,"think":1)"},
      {"think", generate + R"(,"think":null)"},
      {"stream", generate + R"(,"stream":0)"},
      {"max_tokens", generate + R"(,"max_tokens":0)"},
      {"max_tokens", generate + R"(,"max_tokens":32769)"},
      {"temperature", generate + R"(,"temperature":-0.1)"},
      {"temperature", generate + R"(,"temperature":10.5)"},
      {"top_p", generate + R"(,"top_p":0)"},
      {"top_p", generate + R"(,"top_p":1.01)"},
      {"top_k", generate + R"(,"top_k":-1)"},
      {"top_k", generate + R"(,"top_k":100001)"},
      {"seed", generate + R"(,"seed":-5)"},
      {"seed", generate + R"(,"seed":1.5)"},
      {"seed", generate + R"(,"seed":18446744073709551616)"},
      {"stop", generate + R"(,"stop":)" + nine_stops},
      {"stop", generate + R"(,"stop":[""])"},
      {"stop", generate + R"(,"stop":)" + long_stop},
      {"target", R"("cmd":"cancel","target":1.25)"},
      {"target", R"("cmd":"cancel","target":"")"},
      {"head", R"("cmd":"ota_begin","head":"!!!")"},
      {"head", R"("cmd":"ota_begin","head":"")"},
      {"offset", R"("cmd":"ota_chunk","offset":-1,"data":"AA==","crc32":"d202ef8d")"},
      {"offset", R"("cmd":"ota_chunk","offset":281474976710657,"data":"AA==","crc32":"d202ef8d")"},
      {"data", R"("cmd":"ota_chunk","offset":0,"data":"A","crc32":"d202ef8d")"},
      {"crc32", R"("cmd":"ota_chunk","offset":0,"data":"AA==","crc32":"xyz")"},
      {"crc32", R"("cmd":"ota_chunk","offset":0,"data":"AA==","crc32":"d202ef8g")"},
  };
  for (const Case& c : cases) {
    const std::string line = R"({"id":9,)" + c.fields + "}";
    RequestError e = err(line);
    EXPECT_EQ(e.code, ProtocolError::kBadRequest) << line;
    EXPECT_EQ(e.id, RequestId::number(9)) << line;
    EXPECT_NE(e.message.find("'" + c.field + "'"), std::string::npos) << line << ": " << e.message;
  }
}

TEST(ParseRequest, CancelTargetsAnId) {
  EXPECT_FALSE(std::get<CancelCommand>(ok(R"({"id":3,"cmd":"cancel"})").command).target.has_value());
  EXPECT_EQ(std::get<CancelCommand>(ok(R"({"id":3,"cmd":"cancel","target":"g1"})").command).target,
            RequestId::text("g1"));
  EXPECT_EQ(err(R"({"id":3,"cmd":"cancel","target":1.25})").code, ProtocolError::kBadRequest);
}

std::string chunk_line(std::uint64_t offset, const std::vector<std::uint8_t>& data, std::uint32_t crc) {
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", crc);
  return R"({"id":9,"cmd":"ota_chunk","offset":)" + std::to_string(offset) + R"(,"data":")" +
         base64_encode(data) + R"(","crc32":")" + hex + R"("})";
}

TEST(ParseRequest, OtaChunksAreDecodedAndChecksummed) {
  const std::vector<std::uint8_t> data = {0, 1, 2, 255, 254, 10, 13};
  Request r = ok(chunk_line(4096, data, crc32(data)));
  const auto& c = std::get<OtaChunkCommand>(r.command);
  EXPECT_EQ(c.offset, 4096u);
  EXPECT_EQ(c.data, data);

  RequestError e = err(chunk_line(0, data, crc32(data) ^ 1u));
  EXPECT_EQ(e.code, ProtocolError::kChecksum);
  EXPECT_EQ(e.id, RequestId::number(9));

  EXPECT_EQ(err(R"({"id":9,"cmd":"ota_chunk","offset":0,"data":"AA=","crc32":"00000000"})").code,
            ProtocolError::kBadRequest);
  EXPECT_EQ(err(R"({"id":9,"cmd":"ota_chunk","offset":0,"data":"AAAA","crc32":"xyz"})").code,
            ProtocolError::kBadRequest);
  ParseLimits small{4};
  auto p = parse_request(chunk_line(0, data, crc32(data)), small);
  ASSERT_TRUE(std::holds_alternative<RequestError>(p));
  EXPECT_NE(std::get<RequestError>(p).message.find("1..4 bytes"), std::string::npos);
}

TEST(ParseRequest, OtaBeginNeedsABase64Head) {
  Request r = ok(R"({"id":"u","cmd":"ota_begin","head":"bWFuaWZlc3Q="})");
  const auto& b = std::get<OtaBeginCommand>(r.command);
  EXPECT_EQ(std::string(b.head.begin(), b.head.end()), "manifest");
  EXPECT_EQ(err(R"({"id":"u","cmd":"ota_begin","head":"not base64"})").code,
            ProtocolError::kBadRequest);
  EXPECT_EQ(err(R"({"id":"u","cmd":"ota_begin","head":""})").code, ProtocolError::kBadRequest);
  EXPECT_EQ(err(R"({"id":"u","cmd":"ota_begin","manifest":"bWFu"})").code, ProtocolError::kBadRequest);
}

TEST(ParseRequest, OurOwnResponsesEchoedBackAreIgnored) {
  EXPECT_TRUE(std::holds_alternative<EchoedResponse>(
      parse(R"({"id":null,"ok":false,"error":{"code":"bad_json","message":"x"}})")));
  EXPECT_TRUE(std::holds_alternative<EchoedResponse>(parse(R"({"id":1,"event":"token","text":"a"})")));
  // With a "cmd" it is a request like any other (here one with an unknown field).
  EXPECT_TRUE(std::holds_alternative<RequestError>(parse(R"({"id":1,"cmd":"ping","ok":1})")));
}

TEST(ParseRequest, EveryCommandNameParses) {
  for (std::string_view name : command_names()) {
    std::string line = R"({"id":1,"cmd":")" + std::string(name) + R"("})";
    ParsedLine p = parse(line);
    if (auto* e = std::get_if<RequestError>(&p)) {
      // Commands with required fields say which one is missing, never "unknown".
      EXPECT_NE(e->code, ProtocolError::kUnknownCommand) << name;
      EXPECT_NE(e->message.find("missing field"), std::string::npos) << name << ": " << e->message;
    } else {
      EXPECT_EQ(command_name(std::get<Request>(p).command), name);
    }
  }
}

TEST(Responses, AreOneLineOfJsonWithTheIdFirst) {
  EXPECT_EQ(ok_line(RequestId::number(1), {{"a", 1}}), "{\"id\":1,\"ok\":true,\"result\":{\"a\":1}}\n");
  EXPECT_EQ(error_line(RequestId(), ProtocolError::kBadJson, "x\ny"),
            "{\"id\":null,\"ok\":false,\"error\":{\"code\":\"bad_json\",\"message\":\"x\\ny\"}}\n");
  // Invalid UTF-8 never throws: it is replaced.
  const std::string line = event_line(RequestId::text("g"), "token", {{"text", "a\xF0\x9F"}});
  EXPECT_EQ(line, "{\"id\":\"g\",\"event\":\"token\",\"text\":\"a\xEF\xBF\xBD\"}\n");
}

}  // namespace
}  // namespace linnet::serve
