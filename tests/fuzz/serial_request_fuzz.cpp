// Fuzzes the serial server's input path (runtime/serve): the raw bytes of a serial line
// go through the LineFramer (length limit, NUL resets, backspace), every line through
// parse_request, and every outcome through the response builders, exactly as the
// server's reader thread does. Beyond "no crash, no sanitizer report", it checks the
// protocol's promises on every input:
//   - each answer is one line of valid JSON that carries the request's id;
//   - a parsed request's id is a non-empty id, and its command name is a known command;
//   - the framer never yields a line longer than its limit or containing '\n', '\r', NUL.
// The same bytes also go through base64_decode and the Utf8Joiner (token streaming).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/serve/base64.h"
#include "runtime/serve/line_framer.h"
#include "runtime/serve/request.h"
#include "runtime/serve/response.h"
#include "runtime/serve/utf8_joiner.h"

namespace {

using linnet::serve::RequestId;

constexpr std::size_t kMaxLine = 2048;

void check(bool condition) {
  if (!condition) std::abort();
}

// An answer line must parse back and name the id it answers.
void check_answer(const std::string& line, const RequestId& id) {
  check(!line.empty() && line.back() == '\n');
  check(line.find('\n') == line.size() - 1);
  const auto j = nlohmann::json::parse(line, nullptr, false);
  check(!j.is_discarded() && j.is_object() && j.contains("id"));
  check(j["id"] == nlohmann::json::parse(id.to_string(), nullptr, false));
}

void serve_line(const std::string& line) {
  check(line.size() <= kMaxLine);
  check(line.find_first_of(std::string("\n\r\0", 3)) == std::string::npos);
  linnet::serve::ParseLimits limits;
  limits.max_ota_chunk_bytes = 1024;
  auto parsed = linnet::serve::parse_request(line, limits);
  if (auto* error = std::get_if<linnet::serve::RequestError>(&parsed)) {
    check(!error->message.empty());
    check_answer(linnet::serve::error_line(error->id, error->code, error->message), error->id);
  } else if (auto* request = std::get_if<linnet::serve::Request>(&parsed)) {
    check(!request->id.empty());
    const std::string_view name = linnet::serve::command_name(request->command);
    bool known = false;
    for (std::string_view n : linnet::serve::command_names()) known = known || n == name;
    check(known);
    // Echo the request's strings back the way results do (invalid UTF-8 cannot reach
    // here, the JSON parser rejects it, but the builders must not care).
    linnet::serve::ResponseJson result = {{"cmd", name}, {"line", line}};
    check_answer(linnet::serve::ok_line(request->id, result), request->id);
    check_answer(linnet::serve::event_line(request->id, "token", {{"text", line}}), request->id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const char* bytes = reinterpret_cast<const char*>(data);

  // Split the input at an arbitrary point to exercise framing across reads.
  linnet::serve::LineFramer framer(kMaxLine);
  std::vector<linnet::serve::FrameEvent> events;
  const std::size_t cut = size > 0 ? data[0] % (size + 1) : 0;
  framer.feed(std::span<const char>(bytes, cut), events);
  framer.feed(std::span<const char>(bytes + cut, size - cut), events);
  for (const auto& e : events) {
    if (e.kind == linnet::serve::FrameEvent::Kind::kLine) {
      serve_line(e.line);
    } else {
      check(e.discarded_bytes > kMaxLine);
    }
  }
  framer.drop_partial();
  check(!framer.has_partial());

  // The whole input as one line too (the parser must take any bytes, not just framed ones).
  if (size <= kMaxLine) {
    std::string whole(bytes, size);
    if (whole.find_first_of(std::string("\n\r\0", 3)) == std::string::npos) serve_line(whole);
  }

  // base64: whatever decodes must re-encode to the same text (canonical form).
  const std::string_view text(bytes, size);
  if (auto decoded = linnet::serve::base64_decode(text)) check(linnet::serve::base64_encode(*decoded) == text);

  // Token pieces of arbitrary bytes: nothing is lost or invented.
  linnet::serve::Utf8Joiner joiner;
  std::string joined;
  for (std::size_t i = 0; i < size; i += 3) joined += joiner.push(text.substr(i, 3));
  joined += joiner.flush();
  check(joined == text);
  return 0;
}
