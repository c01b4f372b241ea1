// `linnet-convert inspect m.linnet [--json] [--verify] [--context N] [--no-tensors]`:
// metadata, tensor table, bytes by tensor class, and the memory the runtime needs.
#include <charconv>
#include <cstdio>
#include <string>

#include "bundle/bundle.h"
#include "bundle/bundle_summary.h"
#include "converter/tool/commands.h"

namespace linnet::convert::tool {

int run_inspect(Args args) {
  std::string path;
  bool json = false, verify = false, tensors = true;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--verify") {
      verify = true;
    } else if (a == "--no-tensors") {
      tensors = false;
    } else if (!a.empty() && a[0] != '-' && path.empty()) {
      path = std::string(a);
    } else {
      std::fprintf(stderr, "usage: linnet-convert inspect <bundle> [--json] [--verify] [--no-tensors]\n");
      return 2;
    }
  }
  if (path.empty()) {
    std::fprintf(stderr, "usage: linnet-convert inspect <bundle> [--json] [--verify] [--no-tensors]\n");
    return 2;
  }
  auto bundle = Bundle::open(path, BundleOpenOptions{verify});
  if (!bundle.ok()) {
    std::fprintf(stderr, "linnet-convert: error: %s\n", bundle.error().message().c_str());
    return 1;
  }
  const SummaryOptions so{tensors};
  if (json) {
    std::printf("%s\n", summarize_json(*bundle, so).c_str());
  } else {
    std::fputs(summarize_text(*bundle, so).c_str(), stdout);
    if (verify) std::printf("sha256 verified\n");
  }
  return 0;
}

}  // namespace linnet::convert::tool
