// The memory a bundle needs at run time, for `linnet-convert inspect` and `linnet info`:
// the mapped file (weights used in place), the executor's arena from
// runtime/model/memory_plan.h at a given context length and thread count, and every heap
// block beside the arena with its bound (the executor's, model/executor_heap.h; the
// session's and classifier's, session/session_memory.h). docs/memory.md explains each.
#pragma once

#include <string>
#include <vector>

#include "runtime/bundle/bundle.h"
#include "runtime/core/result.h"
#include "runtime/model/memory_plan.h"

namespace linnet {

struct MemoryReport {
  MemoryPlan plan;
  std::vector<MemoryBound> outside;   // beside the arena: the executor's, then the session's
  std::vector<MemoryBound> classify;  // beside the arena where a classifier runs (default options)
  std::uint64_t mapped_bytes = 0;     // the bundle file, mapped read-only
  std::uint64_t outside_bytes = 0;    // sum of `outside`
  std::uint64_t classify_bytes = 0;   // sum of `classify`
  std::uint64_t total_bytes = 0;      // mapped + arena + outside
};

Result<MemoryReport> memory_report(const Bundle& bundle, const ExecutorOptions& options);

std::string memory_report_text(const MemoryReport& report);
// {"context_length":..,"threads":..,"batch_tokens":..,"mapped_bytes":..,"arena_bytes":..,
//  "outside_arena_bytes":..,"classify_bytes":..,"total_bytes":..,
//  "regions":[{"name":..,"bytes":..,"description":..}], "outside_arena":[..same..], "classify":[..same..]}
std::string memory_report_json(const MemoryReport& report);

}  // namespace linnet
