// The memory a bundle needs at run time, for `linnet-convert inspect` and `linnet info`:
// the mapped file (weights used in place) plus the executor's arena from
// runtime/model/memory_plan.h at a given context length and thread count.
#pragma once

#include <string>

#include "runtime/bundle/bundle.h"
#include "runtime/core/result.h"
#include "runtime/model/memory_plan.h"

namespace linnet {

struct MemoryReport {
  MemoryPlan plan;
  std::uint64_t mapped_bytes = 0;  // the bundle file, mapped read-only
  std::uint64_t total_bytes = 0;   // mapped + arena
};

Result<MemoryReport> memory_report(const Bundle& bundle, const ExecutorOptions& options);

std::string memory_report_text(const MemoryReport& report);
// {"context_length":..,"threads":..,"batch_tokens":..,"mapped_bytes":..,"arena_bytes":..,
//  "total_bytes":..,"regions":[{"name":..,"bytes":..,"description":..}]}
std::string memory_report_json(const MemoryReport& report);

}  // namespace linnet
