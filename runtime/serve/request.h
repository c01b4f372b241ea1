// Parsing one request line into a typed command. Everything a client can get wrong is
// caught here, with a message that names the field: the JSON, the id, the command, each
// field's presence, type and range, unknown fields, base64 and chunk checksums. The
// parser never throws and never aborts on any input (fuzzed: tests/fuzz/
// serial_request_fuzz.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/serve/backend.h"
#include "runtime/serve/protocol.h"

namespace linnet::serve {

struct InfoCommand {};
struct PingCommand {};
struct StatusCommand {};
struct CancelCommand {
  std::optional<RequestId> target;  // unset: the running request
};
struct ClassifyCommand {
  ClassifyRequest request;
};
struct GenerateCommand {
  std::string prompt;
  GenerateOptions options;
  bool stream = true;  // false: no token lines, the final result carries the text
};
struct OtaBeginCommand {
  std::vector<std::uint8_t> head;  // the update file's head (header + manifest + signature)
};
struct OtaChunkCommand {
  std::uint64_t offset = 0;
  std::vector<std::uint8_t> data;  // decoded, CRC-32 already checked
};
struct OtaCommitCommand {};
struct OtaStatusCommand {};
struct OtaAbortCommand {};

using Command = std::variant<InfoCommand, PingCommand, StatusCommand, CancelCommand,
                             ClassifyCommand, GenerateCommand, OtaBeginCommand, OtaChunkCommand,
                             OtaCommitCommand, OtaStatusCommand, OtaAbortCommand>;

// The command's name as it appears in "cmd".
std::string_view command_name(const Command& command);

// The names of every command, for `info` and error messages.
const std::vector<std::string_view>& command_names();

struct Request {
  RequestId id;
  Command command;
};

// A line that cannot be served. `id` is empty when the id itself could not be read.
struct RequestError {
  RequestId id;
  ProtocolError code = ProtocolError::kBadRequest;
  std::string message;
};

// A line that looks like one of our own responses (an object with "ok" or "event" and
// no "cmd"): a peer that echoes what it receives would otherwise make the server answer
// its own error messages forever. Dropped without an answer.
struct EchoedResponse {};

using ParsedLine = std::variant<Request, RequestError, EchoedResponse>;

struct ParseLimits {
  std::size_t max_ota_chunk_bytes = kMaxOtaChunkBytes;
};

// Parses one line (without its terminator; borrowed for the call).
ParsedLine parse_request(std::string_view line, const ParseLimits& limits);

}  // namespace linnet::serve
