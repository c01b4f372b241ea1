// `linnet info m.linnet [--json] [--verify] [--tensors] [--context N] [--threads N]`:
// loads a bundle with full validation (--verify also checks its SHA-256) and prints its
// metadata, bytes by tensor class and the memory plan. A bad bundle: message, exit 1.
#include <charconv>
#include <cstdio>
#include <string>

#include "bundle/bundle.h"
#include "bundle/bundle_summary.h"
#include "bundle/memory_report.h"
#include "cli/commands.h"

namespace linnet::cli {

int run_info(Args args) {
  std::string path;
  bool json = false, verify = false, tensors = false;
  int context = 0, threads = 1;
  auto parse_int = [](std::string_view s, int& out) {
    return !s.empty() && std::from_chars(s.data(), s.data() + s.size(), out).ptr == s.data() + s.size() && out > 0;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if ((a == "--context" || a == "--threads") && i + 1 < args.size()) {
      if (!parse_int(args[++i], a == "--context" ? context : threads)) {
        std::fprintf(stderr, "linnet info: %.*s takes a positive integer\n", static_cast<int>(a.size()), a.data());
        return 2;
      }
    } else if (a == "--json") {
      json = true;
    } else if (a == "--verify") {
      verify = true;
    } else if (a == "--tensors") {
      tensors = true;
    } else if (!a.empty() && a[0] != '-' && path.empty()) {
      path = std::string(a);
    } else {
      path.clear();
      break;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "usage: linnet info <bundle> [--json] [--verify] [--tensors] [--context N] [--threads N]\n");
    return 2;
  }
  auto bundle = Bundle::open(path, BundleOpenOptions{verify});
  if (!bundle.ok()) {
    std::fprintf(stderr, "linnet info: %s\n", bundle.error().message().c_str());
    return 1;
  }
  ExecutorOptions eo;
  const int max_pos = bundle->hyper_params().max_position_embeddings;
  eo.context_length = context > 0 ? context : (max_pos > 0 && max_pos < 4096 ? max_pos : 4096);
  eo.threads = threads;
  auto memory = memory_report(*bundle, eo);
  if (!memory.ok()) {
    std::fprintf(stderr, "linnet info: %s\n", memory.error().message().c_str());
    return 1;
  }
  const SummaryOptions so{tensors};
  if (json) {
    std::string s = summarize_json(*bundle, so);
    s.pop_back();  // the closing brace: append the verification result and memory plan
    std::printf("%s,\"sha256_verified\":%s,\"memory\":%s}\n", s.c_str(), verify ? "true" : "false",
                memory_report_json(*memory).c_str());
  } else {
    std::fputs(summarize_text(*bundle, so).c_str(), stdout);
    std::fputs(memory_report_text(*memory).c_str(), stdout);
    if (verify) std::printf("sha256 verified\n");
  }
  return 0;
}

}  // namespace linnet::cli
