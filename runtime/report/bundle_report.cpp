#include "runtime/report/bundle_report.h"

#include <charconv>

#include "runtime/bundle/bundle.h"
#include "runtime/bundle/bundle_summary.h"
#include "runtime/report/memory_report.h"

namespace linnet {

Result<BundleReportRequest> parse_bundle_report_args(std::span<const std::string_view> args,
                                                     BundleReportRequest defaults) {
  BundleReportRequest r = std::move(defaults);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--context" || a == "--threads") {
      if (i + 1 >= args.size()) return Error(ErrorCode::kInvalidArgument, std::string(a) + " needs a value");
      const std::string_view v = args[++i];
      int n = 0;
      const auto parsed = std::from_chars(v.data(), v.data() + v.size(), n);
      if (v.empty() || parsed.ec != std::errc() || parsed.ptr != v.data() + v.size()) {
        return Error(ErrorCode::kInvalidArgument,
                     std::string(a) + " wants a whole number (got '" + std::string(v) + "')");
      }
      if (n < 1) {
        return Error(ErrorCode::kInvalidArgument,
                     std::string(a) + " must be at least 1 (got " + std::to_string(n) + ")");
      }
      (a == "--context" ? r.context : r.threads) = n;
    } else if (a == "--json") {
      r.json = true;
    } else if (a == "--verify") {
      r.verify = true;
    } else if (a == "--tensors" || a == "--no-tensors") {
      r.tensors = a == "--tensors";
    } else if (!a.empty() && a[0] != '-' && r.path.empty()) {
      r.path = std::string(a);
    } else {
      return Error(ErrorCode::kInvalidArgument, a.size() > 1 && a[0] == '-'
                                                    ? "unknown option " + std::string(a)
                                                    : "unexpected argument '" + std::string(a) + "'");
    }
  }
  if (r.path.empty()) return Error(ErrorCode::kInvalidArgument, "no bundle given");
  return r;
}

Result<std::string> render_bundle_report(const BundleReportRequest& request) {
  const Bundle bundle = LINNET_TRY(Bundle::open(request.path, BundleOpenOptions{request.verify}));
  ExecutorOptions eo;
  const int max_pos = bundle.hyper_params().max_position_embeddings;
  eo.context_length = request.context > 0                                  ? request.context
                      : max_pos > 0 && max_pos < kDefaultContextLength ? max_pos
                                                                       : kDefaultContextLength;
  if (request.threads > 0) eo.threads = request.threads;
  const MemoryReport memory = LINNET_TRY(memory_report(bundle, eo));
  SummaryOptions so;
  so.tensor_table = request.tensors;
  if (request.check_signature) {
    if (bundle.signature().empty()) {
      return Error(ErrorCode::kVerification, "bundle " + request.path + " carries no signature to check (its slot is unused)");
    }
    auto by = request.check_signature(bundle.content_sha256(), bundle.signature());
    if (!by.ok()) return std::move(by).error().with_context("bundle " + request.path + ": signature");
    so.signature_verified_by = std::move(by).value();
  }
  if (request.json) {
    std::string s = summarize_json(bundle, so);
    s.pop_back();  // the closing brace: the verification result and memory plan go inside
    return s + ",\"sha256_verified\":" + (request.verify ? "true" : "false") +
           ",\"memory\":" + memory_report_json(memory) + "}\n";
  }
  std::string s = summarize_text(bundle, so) + memory_report_text(memory);
  if (request.verify) s += "content sha256 verified\n";
  return s;
}

}  // namespace linnet
