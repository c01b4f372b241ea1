// `linnet info m.linnet [--json] [--verify] [--tensors] [--context N] [--threads N]`:
// loads a bundle with full validation (--verify also checks its SHA-256) and prints its
// metadata, bytes by tensor class and the memory plan. A bad bundle: message, exit 1.
#include <cstdio>

#include "report/bundle_report.h"
#include "cli/commands.h"

namespace linnet::cli {

int run_info(Args args) {
  auto request = parse_bundle_report_args(args, BundleReportRequest{});
  if (!request.ok()) {
    std::fprintf(stderr, "linnet info: %s\nusage: linnet info <bundle> [--json] [--verify] [--tensors] [--context N] "
                         "[--threads N]\n", request.error().message().c_str());
    return 2;
  }
  auto report = render_bundle_report(*request);
  if (!report.ok()) {
    std::fprintf(stderr, "linnet info: %s\n", report.error().message().c_str());
    return 1;
  }
  std::fputs(report->c_str(), stdout);
  return 0;
}

}  // namespace linnet::cli
