#include "runtime/ota/bundle_trial.h"

#include "runtime/bundle/bundle.h"

namespace linnet::ota {

Result<std::string> trial_load_bundle(const std::string& bundle_path) {
  BundleOpenOptions options;
  options.verify_sha256 = true;
  auto bundle = Bundle::open(bundle_path, options);
  if (!bundle.ok()) return std::move(bundle).error();
  return bundle->content_sha256_hex();
}

}  // namespace linnet::ota
