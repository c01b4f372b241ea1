// Test support: ../shared/models/qwen35-tiny-a converted (by the real converter library)
// to a bundle in a temporary directory, once per test process, and opened as a Model.
// Never linked into the device binary.
#pragma once

#include <string>

#include "runtime/session/model.h"

namespace linnet::testing {

// Directory of the tiny reference checkpoint (LINNET_SHARED_DIR/models/qwen35-tiny-a).
std::string tiny_checkpoint_dir();

// Path of the converted bundle ("f32", "f16", "q8" or "q4"); converts on first use.
// Empty (and a gtest failure) when conversion fails. Removed at process exit.
std::string tiny_bundle_path(const std::string& quant = "f32");

// A copy of the converted bundle ("f32", ...) with the first float of the final norm
// weight set to NaN: the damage a flipped exponent bit on storage does. Its recorded
// SHA-256 no longer matches, so it loads only with verification off. Made once per
// process; empty (and a gtest failure) when that fails.
std::string nan_norm_bundle_path(const std::string& quant = "f32");

// The bundle opened as a Model (shared for the process; nullptr on failure).
const Model* tiny_model(const std::string& quant = "f32");

}  // namespace linnet::testing
