#include "runtime/report/memory_report.h"

#include <cstdio>

#include "runtime/bundle/bundle_summary.h"
#include "runtime/core/json_text.h"
#include "runtime/model/executor_heap.h"
#include "runtime/session/session_memory.h"

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
  r.outside = plan_executor_heap(bundle.weights(), options);
  for (MemoryBound& b : plan_session_heap(bundle.hyper_params(), options)) r.outside.push_back(std::move(b));
  r.classify = plan_classifier_heap(bundle.hyper_params(), options, ClassifierOptions{});
  for (const MemoryBound& b : r.outside) r.outside_bytes += b.bytes;
  for (const MemoryBound& b : r.classify) r.classify_bytes += b.bytes;
  r.mapped_bytes = bundle.file_size();
  r.total_bytes = r.mapped_bytes + r.plan.total_bytes + r.outside_bytes;
  return r;
}

std::string memory_report_text(const MemoryReport& r) {
  std::string s = r.plan.to_string();
  const auto table = [&](const char* title, const std::vector<MemoryBound>& bounds, std::uint64_t sum) {
    s += title;
    for (const MemoryBound& b : bounds) {
      char line[64];
      std::snprintf(line, sizeof line, "  %-16s %12zu bytes (%s)  ", b.name.c_str(), b.bytes, mib(b.bytes).c_str());
      s += line + b.description + "\n";
    }
    char total[64];
    std::snprintf(total, sizeof total, "  %-16s %12llu bytes (%s)\n", "total", static_cast<unsigned long long>(sum),
                  mib(sum).c_str());
    s += total;
  };
  table("beside the arena (made at load, each at most):\n", r.outside, r.outside_bytes);
  table("beside the arena for classification (each at most):\n", r.classify, r.classify_bytes);
  s += "runtime memory: weights mapped " + mib(r.mapped_bytes) + " + arena " + mib(r.plan.total_bytes) +
       " + beside it " + mib(r.outside_bytes) + " = " + mib(r.total_bytes) + "; classification adds up to " +
       mib(r.classify_bytes) + " (context " + std::to_string(r.plan.options.context_length) + ", threads " +
       std::to_string(r.plan.options.threads) + ")\n";
  return s;
}

std::string memory_report_json(const MemoryReport& r) {
  char head[256];
  std::snprintf(head, sizeof head,
                "{\"context_length\":%d,\"threads\":%d,\"batch_tokens\":%d,\"mapped_bytes\":%llu,\"arena_bytes\":%llu,"
                "\"outside_arena_bytes\":%llu,\"classify_bytes\":%llu,\"total_bytes\":%llu,\"regions\":[",
                r.plan.options.context_length, r.plan.options.threads, r.plan.options.batch_tokens,
                static_cast<unsigned long long>(r.mapped_bytes), static_cast<unsigned long long>(r.plan.total_bytes),
                static_cast<unsigned long long>(r.outside_bytes), static_cast<unsigned long long>(r.classify_bytes),
                static_cast<unsigned long long>(r.total_bytes));
  std::string s = head;
  const auto item = [&](std::size_t i, const std::string& name, std::size_t bytes, const std::string& description) {
    s += (i ? ",{" : "{") + std::string("\"name\":") + json_quote(name) + ",\"bytes\":" + std::to_string(bytes) +
         ",\"description\":" + json_quote(description) + "}";
  };
  for (std::size_t i = 0; i < r.plan.regions.size(); ++i)
    item(i, r.plan.regions[i].name, r.plan.regions[i].bytes, r.plan.regions[i].description);
  s += "],\"outside_arena\":[";
  for (std::size_t i = 0; i < r.outside.size(); ++i)
    item(i, r.outside[i].name, r.outside[i].bytes, r.outside[i].description);
  s += "],\"classify\":[";
  for (std::size_t i = 0; i < r.classify.size(); ++i)
    item(i, r.classify[i].name, r.classify[i].bytes, r.classify[i].description);
  return s + "]}";
}

}  // namespace linnet
