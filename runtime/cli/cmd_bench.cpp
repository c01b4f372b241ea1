// `linnet bench m.linnet [--json] [--threads N] [--context N] [--batch N] [--prompt N] [--linear linnet|xnnpack|reference]
//                        [--reference-kernels] [--kv-cache f16|int8|f32] [--cache PATH]`:
// speed, memory and bandwidth figures of one bundle on this machine (runtime/bench/bench.h lists what is measured).
#include <cstdio>
#include <string>

#include "bench/bench.h"
#include "cli/commands.h"
#include "cli/session_setup.h"

namespace linnet::cli {

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: linnet bench m.linnet [--json] [--threads N] [--context N] [--batch N] [--prompt N]\n"
               "                    [--linear linnet|xnnpack|reference] [--reference-kernels] [--kv-cache f16|int8|f32]\n"
               "                    [--cache PATH]\n");
  return 2;
}

}  // namespace

int run_bench(Args args) {
  bench::BenchOptions o;
  o.threads = board_default_threads();
  bool json = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--json") {
      json = true;
    } else if (a == "--linear" && has_value) {
      const auto impl = parse_linear_impl(args[++i]);
      if (!impl) return usage();
      o.linear = *impl;
    } else if (a == "--kv-cache" && has_value) {
      const auto type = parse_kv_cache_type(args[++i]);
      if (!type) return usage();
      o.kv_cache = *type;
    } else if (a == "--reference-kernels") {
      o.reference_kernels = true;
    } else if ((a == "--threads" || a == "--context" || a == "--batch" || a == "--prompt") && has_value) {
      int v = 0;
      if (!parse_int(args[++i], v) || v < 1) return usage();
      (a == "--threads"   ? o.threads
       : a == "--context" ? o.context_length
       : a == "--batch"   ? o.batch_tokens
                          : o.long_prompt) = v;
    } else if (a == "--cache" && has_value) {
      o.packed_weights_cache = std::string(args[++i]);
    } else if (!a.empty() && a[0] != '-' && o.bundle_path.empty()) {
      o.bundle_path = std::string(a);
    } else {
      return usage();
    }
  }
  if (o.bundle_path.empty()) return usage();
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
