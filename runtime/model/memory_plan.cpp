#include "runtime/model/memory_plan.h"

#include <cstdio>

#include "runtime/model/executor_buffers.h"

namespace linnet {
namespace {

Status check_options(const HyperParams& hp, const ExecutorOptions& o) {
  if (o.context_length < 1)
    return Error(ErrorCode::kInvalidArgument, "context_length must be >= 1, got " + std::to_string(o.context_length));
  if (hp.max_position_embeddings > 0 && o.context_length > hp.max_position_embeddings)
    return Error(ErrorCode::kInvalidArgument,
                 "context_length " + std::to_string(o.context_length) + " exceeds the model's maximum " +
                     std::to_string(hp.max_position_embeddings));
  if (o.threads < 1) return Error(ErrorCode::kInvalidArgument, "threads must be >= 1");
  if (o.batch_tokens < 1) return Error(ErrorCode::kInvalidArgument, "batch_tokens must be >= 1");
  if (hp.hidden_size < 1 || hp.num_layers < 1 ||
      hp.layer_types.size() != static_cast<std::size_t>(hp.num_layers))
    return Error(ErrorCode::kInvalidArgument, "hyper-parameters: hidden_size, num_layers and layer_types disagree");
  return ok_status();
}

std::string human_bytes(std::size_t bytes) {
  char buf[32];
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024.0 * 1024.0)
    std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024.0 * 1024.0));
  else if (b >= 1024.0 * 1024.0)
    std::snprintf(buf, sizeof buf, "%.2f MiB", b / (1024.0 * 1024.0));
  else
    std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  return buf;
}

}  // namespace

const MemoryRegion* MemoryPlan::find(const std::string& name) const {
  for (const MemoryRegion& r : regions)
    if (r.name == name) return &r;
  return nullptr;
}

std::string MemoryPlan::to_string() const {
  std::string s = "memory plan (context " + std::to_string(options.context_length) + ", threads " +
                  std::to_string(options.threads) + ", batch " + std::to_string(options.batch_tokens) + "):\n";
  for (const MemoryRegion& r : regions) {
    char line[64];
    std::snprintf(line, sizeof line, "  %-16s %12zu bytes (%s)  ", r.name.c_str(), r.bytes, human_bytes(r.bytes).c_str());
    s += line + r.description + "\n";
  }
  char total[64];
  std::snprintf(total, sizeof total, "  %-16s %12zu bytes (%s)\n", "total", total_bytes, human_bytes(total_bytes).c_str());
  return s + total;
}

Result<MemoryPlan> plan_memory(const HyperParams& hp, const ExecutorOptions& options) {
  LINNET_TRY(check_options(hp, options));
  MemoryPlan plan;
  plan.options = options;
  BumpAllocator counter(nullptr, 0);
  ExecutorBuffers dry_run;
  carve_executor_buffers(hp, options, counter, dry_run, &plan.regions);
  plan.total_bytes = counter.used();
  return plan;
}

}  // namespace linnet
