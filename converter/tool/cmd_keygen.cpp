// `linnet-convert keygen -o vendor [--force]`: a new ECDSA P-256 vendor key pair,
// vendor.key (PEM private key, mode 0600: keep it off the devices) and vendor.pub
// (PEM public key: provision it on every device, `linnet ota ... --pubkey vendor.pub`).
#include <cstdio>
#include <string>

#include "converter/sign/signing_key.h"
#include "converter/tool/commands.h"
#include "runtime/ota/public_key.h"

namespace linnet::convert::tool {

int run_keygen(Args args) {
  std::string prefix;
  bool force = false;
  constexpr char kUsage[] = "usage: linnet-convert keygen -o <prefix> [--force]   (writes <prefix>.key and <prefix>.pub)\n";
  const auto usage_error = [&](const std::string& problem) {
    std::fprintf(stderr, "linnet-convert keygen: %s\n%s", problem.c_str(), kUsage);
    return 2;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "-o") {
      if (i + 1 >= args.size()) return usage_error("-o needs a value");
      prefix = std::string(args[++i]);
    } else if (a == "--force") {
      force = true;
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unknown option " + std::string(a));
    } else {
      return usage_error("unexpected argument '" + std::string(a) + "'");
    }
  }
  if (prefix.empty()) return usage_error("-o <prefix> is required");
  auto keys = sign::generate_key_pair();
  Status written = keys.ok() ? sign::write_key_pair(*keys, prefix, force) : Status(keys.error());
  if (!written.ok()) {
    std::fprintf(stderr, "linnet-convert: error: %s\n", written.error().message().c_str());
    return 1;
  }
  auto pub = ota::PublicKey::from_pem(keys->public_pem);
  std::printf("wrote %s.key (private, mode 0600) and %s.pub (public), key id %s\n", prefix.c_str(), prefix.c_str(),
              pub.ok() ? ota::short_key_id(pub->key_id()).c_str() : "?");
  return 0;
}

}  // namespace linnet::convert::tool
