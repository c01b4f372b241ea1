#include "runtime/core/json_text.h"

#include <nlohmann/json.hpp>

namespace linnet {

std::string json_quote(std::string_view s) {
  // error_handler_t::replace: invalid UTF-8 becomes U+FFFD instead of throwing.
  return nlohmann::json(std::string(s)).dump(-1, ' ', /*ensure_ascii=*/false,
                                             nlohmann::json::error_handler_t::replace);
}

}  // namespace linnet
