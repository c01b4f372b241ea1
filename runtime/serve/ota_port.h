// The OTA agent as the serial server sees it: the four transfer steps of the
// ota_begin / ota_chunk / ota_commit / ota_status (/ ota_abort) protocol commands
// (docs/serial-protocol.md). The OTA agent (runtime/ota/) implements it; the server
// takes it as an optional second interface (no OtaPort: the OTA commands answer
// "unsupported").
//
// The server has already done the transport's part before calling in: it decoded the
// base64, checked each chunk's CRC-32 and length, and it serialises the calls. What the
// agent does with the bytes (where they are stored, how the manifest is verified, the
// trial load, the roll-back) is its own business.
//
// Threading contract: begin(), chunk(), abort() and status() are called from the
// server's reader thread; commit() from its worker thread, when no model request is
// running (it may swap the model). The server never calls begin/chunk/abort while a
// commit runs (it answers "busy"), but status() may be called during commit() and must
// be thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace linnet::serve {

enum class OtaPhase : std::uint8_t {
  kIdle,        // no transfer
  kReceiving,   // begin() accepted, chunks arriving
  kVerifying,   // commit() running: hash, signature, trial load, self-test
  kCommitted,   // the last update was committed and is active
  kFailed,      // the last transfer or commit failed (last_error says why); the old model runs
};

std::string_view ota_phase_name(OtaPhase phase);

struct OtaBeginResult {
  std::uint64_t total_bytes = 0;     // payload size, from the manifest
  std::uint64_t resume_offset = 0;   // bytes of this same update already held (0 = from the start)
  std::uint32_t max_chunk_bytes = 0; // the agent's chunk limit (0 = no limit of its own)
};

struct OtaCommitResult {
  std::string version;       // the update's version string, from its manifest
  std::string model_sha256;  // the now-active bundle's content hash
};

struct OtaStatus {
  OtaPhase phase = OtaPhase::kIdle;
  std::uint64_t received_bytes = 0;
  std::uint64_t total_bytes = 0;
  std::string active_version;  // version of the running model ("" if unknown)
  std::string last_error;      // why the last transfer/commit failed ("" if none)
};

class OtaPort {
 public:
  virtual ~OtaPort() = default;

  // Starts (or resumes) a transfer described by `manifest` (the update's signed
  // manifest, as the client sent it; borrowed for the call). Rejects a manifest that
  // does not parse or verify (kCorrupt / kVerification), or one that does not fit the
  // storage (kNoSpace). A begin() while receiving replaces the old transfer unless it
  // is the same manifest, in which case resume_offset says where to continue.
  virtual Result<OtaBeginResult> begin(std::span<const std::uint8_t> manifest) = 0;

  // Stores `bytes` (borrowed for the call) at payload `offset`. Chunks arrive in order:
  // offset must equal the bytes received so far (else kOutOfRange, and nothing is
  // stored). Returns the bytes received so far, including this chunk.
  virtual Result<std::uint64_t> chunk(std::uint64_t offset, std::span<const std::uint8_t> bytes) = 0;

  // All bytes received: verify (hash + signature), install, trial-load, self-test and
  // switch to the new model, or roll back and report why. May take seconds.
  virtual Result<OtaCommitResult> commit() = 0;

  // Drops a transfer in progress (no effect when idle).
  virtual Status abort() = 0;

  virtual OtaStatus status() const = 0;
};

}  // namespace linnet::serve
