// Human- and machine-readable descriptions of a loaded bundle, shared by
// `linnet-convert inspect` (host) and `linnet info` (device): metadata, hyper-parameters,
// tokenizer, the tensor table, and bytes by tensor class. The memory plan is added by the
// caller (it belongs to the executor, runtime/model/memory_plan.h).
#pragma once

#include <cstdint>
#include <string>

#include "runtime/bundle/bundle.h"

namespace linnet {

struct SummaryOptions {
  bool tensor_table = true;  // one line (or JSON object) per tensor
  // Who verified the signature in the bundle's signature slot (`linnet info --pubkey`:
  // "key 1a2b3c4d5e6f7a8b"); empty when it was not checked.
  std::string signature_verified_by;
};

// What the signature slot holds, said truthfully: "none (the slot is unused: all zero)",
// "70 bytes, not verified (...)", or "70 bytes, verified with key ...". The loader has
// already refused any other content (runtime/bundle/bundle.cpp).
std::string signature_text(const Bundle& bundle, const SummaryOptions& options);

// A unix time as ISO 8601 UTC: 1796642011 -> "2026-12-07T10:33:31Z".
std::string iso8601_utc(std::uint64_t unix_seconds);

std::string summarize_text(const Bundle& bundle, const SummaryOptions& options);

// A JSON object (no trailing newline) with keys: file, file_bytes, flatbuffer_bytes,
// weight_bytes, schema_version, data_alignment, content_sha256, signature ("none",
// "not_verified" or "verified"), signature_bytes, signature_key (when verified), provenance{},
// config{}, tokenizer{}, chat{}, generation{}, bytes_by_class{}, and tensors[] when asked.
std::string summarize_json(const Bundle& bundle, const SummaryOptions& options);

}  // namespace linnet
