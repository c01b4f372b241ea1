// `linnet-convert keygen -o vendor [--force]`: a new ECDSA P-256 vendor key pair,
// vendor.key (PEM private key, mode 0600: keep it off the devices) and vendor.pub
// (PEM public key: provision it on every device, `linnet ota ... --pubkey vendor.pub`).
#include <cstdio>
#include <string>

#include "converter/sign/signing_key.h"
#include "converter/tool/commands.h"
#include "ota/public_key.h"

namespace linnet::convert::tool {

int run_keygen(Args args) {
  std::string prefix;
  bool force = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-o" && i + 1 < args.size()) {
      prefix = std::string(args[++i]);
    } else if (args[i] == "--force") {
      force = true;
    } else {
      prefix.clear();
      break;
    }
  }
  if (prefix.empty()) {
    std::fprintf(stderr, "usage: linnet-convert keygen -o <prefix> [--force]   (writes <prefix>.key and <prefix>.pub)\n");
    return 2;
  }
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
