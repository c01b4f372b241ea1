// Human- and machine-readable descriptions of a loaded bundle, shared by
// `linnet-convert inspect` (host) and `linnet info` (device): metadata, hyper-parameters,
// tokenizer, the tensor table, and bytes by tensor class. The memory plan is added by the
// caller (it belongs to the executor, runtime/model/memory_plan.h).
#pragma once

#include <string>

#include "bundle/bundle.h"

namespace linnet {

struct SummaryOptions {
  bool tensor_table = true;  // one line (or JSON object) per tensor
};

std::string summarize_text(const Bundle& bundle, const SummaryOptions& options);

// A JSON object (no trailing newline) with keys: file, file_bytes, flatbuffer_bytes,
// weight_bytes, schema_version, data_alignment, content_sha256, signed, provenance{},
// config{}, tokenizer{}, chat{}, generation{}, bytes_by_class{}, and tensors[] when asked.
std::string summarize_json(const Bundle& bundle, const SummaryOptions& options);

// `s` as a JSON string literal (quotes included), escaping controls and non-ASCII bytes.
std::string json_quote(std::string_view s);

}  // namespace linnet
