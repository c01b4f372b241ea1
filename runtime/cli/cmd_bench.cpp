// `linnet bench m.linnet [--json] [--threads N] [--context N] [--batch N] [--no-xnnpack]
//                        [--reference-kernels] [--kv-f32] [--cache PATH]`:
// speed, memory and bandwidth figures of one bundle on this machine (runtime/bench/bench.h lists what is measured).
#include <charconv>
#include <cstdio>
#include <string>

#include "bench/bench.h"
#include "cli/commands.h"
#include "linnet/boards_generated.h"

namespace linnet::cli {

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: linnet bench m.linnet [--json] [--threads N] [--context N] [--batch N]\n"
               "                    [--no-xnnpack] [--reference-kernels] [--kv-f32] [--cache PATH]\n");
  return 2;
}

bool parse_int(std::string_view s, int& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

int board_default_threads() {
  for (const BoardProfile& b : kBoards)
    if (b.name == kBuildBoard) return b.default_threads;
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
    } else if (a == "--no-xnnpack") {
      o.use_xnnpack = false;
    } else if (a == "--kv-f32") {
      o.kv_cache_f16 = false;
    } else if (a == "--reference-kernels") {
      o.reference_kernels = true;
    } else if ((a == "--threads" || a == "--context" || a == "--batch") && has_value) {
      int v = 0;
      if (!parse_int(args[++i], v) || v < 1) return usage();
      (a == "--threads" ? o.threads : a == "--context" ? o.context_length : o.batch_tokens) = v;
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
