// The report behind `linnet info` and `linnet-convert inspect`: a bundle opened with full
// validation (and its SHA-256 checked on request), its metadata, bytes by tensor class and
// the memory plan at a context length and thread count, as text or one JSON object.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "runtime/core/result.h"

namespace linnet {

struct BundleReportRequest {
  std::string path;
  bool json = false;
  bool verify = false;   // also recompute the content SHA-256
  bool tensors = false;  // list every tensor
  int context = 0;       // 0: kDefaultContextLength, capped at the model's max_position_embeddings
  int threads = 0;       // 0: ExecutorOptions's default (the board's), as a session takes
  // Checks the signature in the bundle's signature slot (`linnet info --pubkey`): given the
  // content hash and the DER signature, returns the name of the key that verified it
  // ("key 1a2b3c4d5e6f7a8b") or the error. Unset: a signature is reported as not verified.
  std::function<Result<std::string>(std::span<const std::uint8_t> content_sha256,
                                    std::span<const std::uint8_t> signature)>
      check_signature;
};

// Parses `<bundle> [--json] [--verify] [--tensors | --no-tensors] [--context N] [--threads N]`
// over `defaults`; an unknown flag, a bad number or a missing path is an error.
Result<BundleReportRequest> parse_bundle_report_args(std::span<const std::string_view> args,
                                                     BundleReportRequest defaults);

// An unreadable or invalid bundle is an error with the loader's message.
Result<std::string> render_bundle_report(const BundleReportRequest& request);

}  // namespace linnet
