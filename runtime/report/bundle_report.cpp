#include "report/bundle_report.h"

#include <charconv>

#include "bundle/bundle.h"
#include "bundle/bundle_summary.h"
#include "report/memory_report.h"

namespace linnet {

Result<BundleReportRequest> parse_bundle_report_args(std::span<const std::string_view> args,
                                                     BundleReportRequest defaults) {
  BundleReportRequest r = std::move(defaults);
  const auto positive = [](std::string_view s, int& out) {
    return !s.empty() && std::from_chars(s.data(), s.data() + s.size(), out).ptr == s.data() + s.size() && out > 0;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--context" || a == "--threads") {
      if (i + 1 >= args.size() || !positive(args[++i], a == "--context" ? r.context : r.threads)) {
        return Error(ErrorCode::kInvalidArgument, std::string(a) + " takes a positive integer");
      }
    } else if (a == "--json") {
      r.json = true;
    } else if (a == "--verify") {
      r.verify = true;
    } else if (a == "--tensors" || a == "--no-tensors") {
      r.tensors = a == "--tensors";
    } else if (!a.empty() && a[0] != '-' && r.path.empty()) {
      r.path = std::string(a);
    } else {
      return Error(ErrorCode::kInvalidArgument, "unexpected argument " + std::string(a));
    }
  }
  if (r.path.empty()) return Error(ErrorCode::kInvalidArgument, "no bundle given");
  return r;
}

Result<std::string> render_bundle_report(const BundleReportRequest& request) {
  const Bundle bundle = LINNET_TRY(Bundle::open(request.path, BundleOpenOptions{request.verify}));
  ExecutorOptions eo;
  const int max_pos = bundle.hyper_params().max_position_embeddings;
  eo.context_length = request.context > 0 ? request.context : (max_pos > 0 && max_pos < 4096 ? max_pos : 4096);
  eo.threads = request.threads;
  const MemoryReport memory = LINNET_TRY(memory_report(bundle, eo));
  const SummaryOptions so{request.tensors};
  if (request.json) {
    std::string s = summarize_json(bundle, so);
    s.pop_back();  // the closing brace: the verification result and memory plan go inside
    return s + ",\"sha256_verified\":" + (request.verify ? "true" : "false") +
           ",\"memory\":" + memory_report_json(memory) + "}\n";
  }
  std::string s = summarize_text(bundle, so) + memory_report_text(memory);
  if (request.verify) s += "sha256 verified\n";
  return s;
}

}  // namespace linnet
