#include "runtime/report/memory_report.h"

#include <cstdio>

#include "runtime/bundle/bundle_summary.h"

namespace linnet {
namespace {

std::string mib(std::uint64_t bytes) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace

Result<MemoryReport> memory_report(const Bundle& bundle, const ExecutorOptions& options) {
  MemoryReport r;
  r.plan = LINNET_TRY(plan_memory(bundle.hyper_params(), options));
  r.mapped_bytes = bundle.file_size();
  r.total_bytes = r.mapped_bytes + r.plan.total_bytes;
  return r;
}

std::string memory_report_text(const MemoryReport& r) {
  std::string s = r.plan.to_string();
  s += "runtime memory: weights mapped " + mib(r.mapped_bytes) + " + arena " + mib(r.plan.total_bytes) + " = " +
       mib(r.total_bytes) + " (context " + std::to_string(r.plan.options.context_length) + ", threads " +
       std::to_string(r.plan.options.threads) + ")\n";
  return s;
}

std::string memory_report_json(const MemoryReport& r) {
  char head[256];
  std::snprintf(head, sizeof head,
                "{\"context_length\":%d,\"threads\":%d,\"batch_tokens\":%d,\"mapped_bytes\":%llu,\"arena_bytes\":%llu,"
                "\"total_bytes\":%llu,\"regions\":[",
                r.plan.options.context_length, r.plan.options.threads, r.plan.options.batch_tokens,
                static_cast<unsigned long long>(r.mapped_bytes), static_cast<unsigned long long>(r.plan.total_bytes),
                static_cast<unsigned long long>(r.total_bytes));
  std::string s = head;
  for (std::size_t i = 0; i < r.plan.regions.size(); ++i) {
    const MemoryRegion& g = r.plan.regions[i];
    s += (i ? ",{" : "{") + std::string("\"name\":") + json_quote(g.name) + ",\"bytes\":" + std::to_string(g.bytes) +
         ",\"description\":" + json_quote(g.description) + "}";
  }
  return s + "]}";
}

}  // namespace linnet
