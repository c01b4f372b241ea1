// Building response lines. Every line is one JSON object ending in '\n', starting with
// the id it answers:
//   {"id":1,"ok":true,"result":{...}}                            final success
//   {"id":1,"ok":false,"error":{"code":"bad_request","message":"..."}}  final failure
//   {"id":1,"event":"token","text":"Hel"}                         before the final line
// Strings that are not valid UTF-8 are written with U+FFFD in place of the bad bytes,
// never thrown on.
#pragma once

#include <string>
#include <string_view>

#include "runtime/serve/protocol.h"

namespace linnet::serve {

using ResponseJson = nlohmann::ordered_json;

std::string ok_line(const RequestId& id, ResponseJson result);
std::string error_line(const RequestId& id, ProtocolError code, std::string_view message);
// `fields` (an object) is appended after "id" and "event".
std::string event_line(const RequestId& id, std::string_view event, ResponseJson fields);

// Dumps compactly with invalid UTF-8 replaced; no '\n' added.
std::string dump_json(const ResponseJson& value);

}  // namespace linnet::serve
