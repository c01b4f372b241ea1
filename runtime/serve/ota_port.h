// The OTA agent as the serial server sees it: the transfer steps behind the
// ota_begin / ota_chunk / ota_commit / ota_abort / ota_status protocol commands
// (docs/serial-protocol.md). The server takes it as an optional second interface (no
// OtaPort: the OTA commands answer "unsupported"). runtime/serve/ota_agent_port.h
// implements it over runtime/ota's OtaAgent; tests use a fake.
//
// What travels is a signed update file (.lnu, runtime/ota/update_file.h): first its
// head (header + manifest + signature) in ota_begin, so the agent can verify the
// signature and refuse an update before any bundle byte is sent; then the bundle bytes
// in chunks, at bundle offsets (0 = the first byte after the head).
//
// The server has done the transport's part before calling in: it decoded the base64,
// checked each chunk's CRC-32 and length, and it serialises the calls.
//
// Threading contract: begin(), chunk(), abort() and status() are called from the
// server's reader thread; commit() from its worker thread, when no model request is
// running (it may swap the model). The server never calls begin/chunk/abort while a
// commit runs (it answers "busy"), but status() may be called during commit() and must
// neither block on it nor race with it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "runtime/core/result.h"

namespace linnet::serve {

// The agent's phases (runtime/ota/store_state.h), as the protocol names them.
enum class OtaPhase : std::uint8_t {
  kIdle,        // nothing has happened yet
  kReceiving,   // a transfer is open
  kVerifying,   // commit: checking the bundle's SHA-256, moving it into its slot
  kTrial,       // commit: loading and self-testing the new bundle
  kCommitted,   // the last update became active
  kRolledBack,  // the last update was abandoned (last_error says why); the old model runs
};

std::string_view ota_phase_name(OtaPhase phase);

struct OtaBeginResult {
  std::uint64_t total_bytes = 0;     // bundle bytes to send, from the manifest
  std::uint64_t resume_offset = 0;   // bundle bytes of this same update already held
  std::uint32_t max_chunk_bytes = 0; // the agent's chunk limit (0 = no limit of its own)
};

struct OtaCommitResult {
  std::string model_name;  // the now-active model
  std::uint64_t version = 0;
};

struct OtaStatus {
  OtaPhase phase = OtaPhase::kIdle;
  std::uint64_t received_bytes = 0;  // of the open transfer
  std::uint64_t total_bytes = 0;
  std::string active_model;          // "" when no model is active
  std::uint64_t active_version = 0;
  std::string last_error;            // why the last transfer/commit failed ("" if none)
  std::string store = "ok";          // "ok", "read-only" or "degraded" (docs/ota.md)
  std::string store_note;            // why, or what was repaired ("" if nothing)
};

class OtaPort {
 public:
  virtual ~OtaPort() = default;

  // Starts a transfer from the update's head (borrowed for the call), or resumes the
  // open one when the head is the same update (resume_offset > 0). Rejects a head that
  // does not parse or verify (kCorrupt / kVerification), an old version
  // (anti-rollback), or one that does not fit the storage (kNoSpace).
  virtual Result<OtaBeginResult> begin(std::span<const std::uint8_t> head) = 0;

  // Stores `bytes` (borrowed for the call) at bundle `offset`, which must not lie
  // beyond the bytes received so far (kOutOfRange; bytes already held are skipped).
  // Returns the bytes received so far (the next offset) once they are durable.
  virtual Result<std::uint64_t> chunk(std::uint64_t offset, std::span<const std::uint8_t> bytes) = 0;

  // All bytes received: verify (hash + signature), install, trial-load, self-test and
  // switch to the new model, or roll back and report why. May take seconds.
  virtual Result<OtaCommitResult> commit() = 0;

  // Drops a transfer in progress (the active model is untouched).
  virtual Status abort() = 0;

  virtual OtaStatus status() const = 0;
};

}  // namespace linnet::serve
