// The one JSON string writer of the runtime: every report written by hand as JSON text
// (the bundle summary, `linnet bench --json`, the safetensors header of the session files)
// quotes its strings here; the serial protocol and the CLI's JSON lines build
// nlohmann::json values, whose serializer this is.
#pragma once

#include <string>
#include <string_view>

namespace linnet {

// `s` as a JSON string literal, quotes included. UTF-8 text passes through as UTF-8 ("é"
// stays the two bytes C3 A9); '"', '\\' and control characters are escaped; a byte that is
// not part of valid UTF-8 becomes U+FFFD, so the output is always valid JSON.
std::string json_quote(std::string_view s);

}  // namespace linnet
