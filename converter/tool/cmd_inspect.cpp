// `linnet-convert inspect m.linnet [--json] [--verify] [--context N] [--threads N] [--no-tensors]`:
// metadata, tensor table, bytes by tensor class, and the memory the runtime needs at a
// context length (default 4096, capped at the model's maximum) and thread count.
#include <cstdio>

#include "runtime/report/bundle_report.h"
#include "converter/tool/commands.h"

namespace linnet::convert::tool {

int run_inspect(Args args) {
  constexpr char kUsage[] =
      "usage: linnet-convert inspect <bundle> [--json] [--verify] [--context N] [--threads N] [--no-tensors]\n";
  for (const std::string_view a : args) {
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  BundleReportRequest defaults;
  defaults.tensors = true;
  auto request = parse_bundle_report_args(args, defaults);
  if (!request.ok()) {
    std::fprintf(stderr, "linnet-convert inspect: %s\n%s", request.error().message().c_str(), kUsage);
    return 2;
  }
  auto report = render_bundle_report(*request);
  if (!report.ok()) {
    std::fprintf(stderr, "linnet-convert: error: %s\n", report.error().message().c_str());
    return 1;
  }
  std::fputs(report->c_str(), stdout);
  return 0;
}

}  // namespace linnet::convert::tool
