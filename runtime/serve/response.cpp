#include "runtime/serve/response.h"

namespace linnet::serve {

std::string dump_json(const ResponseJson& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, ResponseJson::error_handler_t::replace);
}

std::string ok_line(const RequestId& id, ResponseJson result) {
  ResponseJson line;
  line["id"] = id.to_json();
  line["ok"] = true;
  line["result"] = std::move(result);
  return dump_json(line) + '\n';
}

std::string error_line(const RequestId& id, ProtocolError code, std::string_view message) {
  ResponseJson line;
  line["id"] = id.to_json();
  line["ok"] = false;
  line["error"] = {{"code", protocol_error_name(code)}, {"message", message}};
  return dump_json(line) + '\n';
}

std::string event_line(const RequestId& id, std::string_view event, ResponseJson fields) {
  ResponseJson line;
  line["id"] = id.to_json();
  line["event"] = event;
  if (fields.is_object()) {
    for (auto& [key, value] : fields.items()) line[key] = std::move(value);
  }
  return dump_json(line) + '\n';
}

}  // namespace linnet::serve
