// The trial load the OTA agent runs on a candidate bundle (and on the rollback
// target): the full loader with SHA-256 verification, exactly as the runtime opens a
// model, so a bundle that passes here is one the device can run.
#pragma once

#include <string>

#include "runtime/core/result.h"

namespace linnet::ota {

// Bundle::open(path, verify_sha256) and the bundle's content_sha256 in hex.
Result<std::string> trial_load_bundle(const std::string& bundle_path);

}  // namespace linnet::ota
