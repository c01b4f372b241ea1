// `linnet bench m.linnet [--json] [--threads N] [--context N] [--batch N] [--prompt N] [--linear linnet|xnnpack|reference]
//                        [--reference-kernels] [--kv-cache f16|int8|f32] [--cache PATH]`:
// speed, memory and bandwidth figures of one bundle on this machine (runtime/bench/bench.h lists what is measured).
#include <cstdio>
#include <string>

#include "runtime/bench/bench.h"
#include "runtime/cli/cli_args.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/session_setup.h"

namespace linnet::cli {

namespace {

Usage bench_usage() {
  return {"bench",
          "usage: linnet bench m.linnet [--json] [--threads N] [--context N] [--batch N] [--prompt N]\n"
          "                    [--linear linnet|xnnpack|reference] [--reference-kernels] [--kv-cache f16|int8|f32]\n"
          "                    [--cache PATH]\n"};
}

}  // namespace

int run_bench(Args args) {
  const Usage usage = bench_usage();
  if (wants_help(args)) return usage.help();
  bench::BenchOptions o;
  bool json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const bool has_value = i + 1 < args.size();
    const bool takes_value = a == "--linear" || a == "--kv-cache" || a == "--threads" || a == "--context" ||
                             a == "--batch" || a == "--prompt" || a == "--cache";
    if (takes_value && !has_value) return usage.error(missing_value(a));
    if (a == "--json") {
      json = true;
    } else if (a == "--linear") {
      const auto impl = parse_linear_impl(args[++i]);
      if (!impl) return usage.error("--linear wants linnet, xnnpack or reference (got '" + std::string(args[i]) + "')");
      o.executor.linear = *impl;
    } else if (a == "--kv-cache") {
      const auto type = parse_kv_cache_type(args[++i]);
      if (!type) return usage.error("--kv-cache wants f16, int8 or f32 (got '" + std::string(args[i]) + "')");
      o.executor.kv_cache = *type;
    } else if (a == "--reference-kernels") {
      o.executor.reference_kernels = true;
    } else if (a == "--threads" || a == "--context" || a == "--batch" || a == "--prompt") {
      int& target = a == "--threads"   ? o.executor.threads
                    : a == "--context" ? o.executor.context_length
                    : a == "--batch"   ? o.executor.batch_tokens
                                       : o.long_prompt;
      if (auto problem = read_int(a, args[++i], 1, target)) return usage.error(*problem);
    } else if (a == "--cache") {
      o.executor.packed_weights_cache = std::string(args[++i]);
    } else if (!a.empty() && a[0] != '-' && o.bundle_path.empty()) {
      o.bundle_path = std::string(a);
    } else {
      return usage.error(unknown_argument(a));
    }
  }
  if (o.bundle_path.empty()) return usage.error("no bundle given");
  auto report = bench::run_bench(o);
  if (!report.ok()) {
    std::fprintf(stderr, "linnet bench: %s\n", report.error().message().c_str());
    return 1;
  }
  const std::string out = json ? bench::format_json(*report) : bench::format_text(*report);
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace linnet::cli
