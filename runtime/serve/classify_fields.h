// The fields of a classify request: the one parser of the serial `classify` command
// (docs/serial-protocol.md) and of each line of `linnet classify --jsonl` (docs/classify.md),
// so both take the same names under the same rules:
//   "text"    a string (required)
//   "labels"  2..kMaxLabels distinct non-empty strings of at most kMaxLabelBytes bytes each;
//             required unless the front end has its own default (`--labels`)
//   "system"  a string (optional; the front end's default otherwise: "" or `--system`)
// Any other field is refused by name, besides "id", "cmd" and the front end's `extra` ones
// (the CLI's "expected"): a misspelt field would otherwise be ignored.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/core/result.h"

namespace linnet::serve {

struct ClassifyFields {
  std::string text;
  std::optional<std::string> system;               // unset: not in the request
  std::optional<std::vector<std::string>> labels;  // unset: not in the request
};

// Errors are kInvalidArgument with a message that names the field ("missing field 'text'").
Result<ClassifyFields> read_classify_fields(const nlohmann::json& request,
                                            std::initializer_list<std::string_view> extra,
                                            bool labels_required);

// What is wrong with a list of labels given some other way (the CLI's --labels A,B,C) under
// the rule above, e.g. "2..64 distinct non-empty strings of at most 256 bytes ('a' appears
// twice)"; nothing when it is fine.
std::optional<std::string> classify_labels_problem(std::span<const std::string> labels);

}  // namespace linnet::serve
