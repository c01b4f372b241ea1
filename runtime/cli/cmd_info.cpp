// `linnet info m.linnet [--json] [--verify] [--tensors] [--context N] [--threads N] [--pubkey vendor.pub]`:
// loads a bundle with full validation (--verify also checks its content SHA-256, --pubkey
// the signature in its signature slot) and prints its metadata, bytes by tensor class and
// the memory plan. A bad bundle: message, exit 1.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "runtime/cli/cli_args.h"
#include "runtime/report/bundle_report.h"
#include "runtime/cli/commands.h"
#include "runtime/ota/public_key.h"

namespace linnet::cli {

int run_info(Args args) {
  const Usage usage{"info",
                    "usage: linnet info <bundle> [--json] [--verify] [--tensors] [--context N] [--threads N]\n"
                    "                   [--pubkey vendor.pub]\n"
                    "  --verify   recompute the content SHA-256 (the hash OTA manifests carry)\n"
                    "  --pubkey   check the signature in the bundle's signature slot with this key\n"};
  if (wants_help(args)) return usage.help();
  std::vector<std::string_view> rest;
  std::string pubkey;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--pubkey") {
      if (i + 1 >= args.size()) return usage.error(missing_value(args[i]));
      pubkey = std::string(args[++i]);
    } else {
      rest.push_back(args[i]);
    }
  }
  auto request = parse_bundle_report_args(rest, BundleReportRequest{});
  if (!request.ok()) return usage.error(request.error().message());
  std::optional<ota::PublicKey> key;  // outlives the report, which calls check_signature
  if (!pubkey.empty()) {
    auto loaded = ota::PublicKey::load(pubkey);
    if (!loaded.ok()) {
      std::fprintf(stderr, "linnet info: --pubkey %s: %s\n", pubkey.c_str(), loaded.error().message().c_str());
      return 1;
    }
    key.emplace(std::move(loaded).value());
    request->check_signature = [&key](std::span<const std::uint8_t> content_sha256,
                                      std::span<const std::uint8_t> signature) -> Result<std::string> {
      Sha256Digest digest{};
      std::copy(content_sha256.begin(), content_sha256.end(), digest.begin());
      LINNET_TRY(key->verify(digest, signature));
      return "key " + ota::short_key_id(key->key_id());
    };
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
