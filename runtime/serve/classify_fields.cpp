#include "runtime/serve/classify_fields.h"

#include <limits>

#include "runtime/serve/field_reader.h"
#include "runtime/serve/protocol.h"

namespace linnet::serve {

Result<ClassifyFields> read_classify_fields(const nlohmann::json& request,
                                            std::initializer_list<std::string_view> extra,
                                            bool labels_required) {
  std::vector<std::string_view> allowed = {"text", "labels", "system"};
  allowed.insert(allowed.end(), extra.begin(), extra.end());
  FieldReader f(request);
  ClassifyFields c;
  // text and system have no limit of their own: the line does (kMaxLineBytes, or the
  // CLI's 1 MiB), and the context does.
  const std::size_t no_limit = std::numeric_limits<std::size_t>::max();
  std::vector<std::string> labels;
  std::string system;
  if (!f.only("classify", allowed) || !f.read_string("text", true, no_limit, c.text) ||
      !f.read_string_list("labels", labels_required, 2, kMaxLabels, kMaxLabelBytes, labels) ||
      !f.read_string("system", false, no_limit, system)) {
    return Error(ErrorCode::kInvalidArgument, f.error());
  }
  if (f.has("labels")) c.labels = std::move(labels);
  if (f.has("system")) c.system = std::move(system);
  return c;
}

std::optional<std::string> classify_labels_problem(std::span<const std::string> labels) {
  nlohmann::json list = nlohmann::json::array();
  for (const std::string& l : labels) list.push_back(l);
  const nlohmann::json request = {{"labels", std::move(list)}};
  FieldReader f(request);
  std::vector<std::string> out;
  if (f.read_string_list("labels", true, 2, kMaxLabels, kMaxLabelBytes, out)) return std::nullopt;
  // "field 'labels' must be an array of 2..64 ..." -> "2..64 ..."
  const std::string& e = f.error();
  const std::string_view prefix = "field 'labels' must be an array of ";
  return e.starts_with(prefix) ? e.substr(prefix.size()) : e;
}

}  // namespace linnet::serve
