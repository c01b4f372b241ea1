// The device's OTA agent: an A/B store of signed bundles that can be updated from a
// local .lnu file or a chunked transfer (the serial protocol), such that the device
// always keeps a working model, whatever arrives and whenever the power is cut.
//
// Store directory (one directory, so one fsync makes its entries durable):
//   state, state.copy  StoreState record (store_state.h), kept twice (state_files.h)
//   slot-a.head      the signed head (manifest + signature) of the update slot a holds:
//                    what rebuilds the record if both copies are lost
//   slot-a.linnet    the bundle in slot a      slot-b.linnet  the bundle in slot b
//   incoming.head    the verified head of the open transfer (replaced atomically)
//   incoming.bundle  its bundle bytes; the first `state.received` are durable
//   lock             flock'ed by the one agent that may write the store
//   slot-a.linnet.*  files derived from a slot's bundle by the runtime (the XNNPACK
//                    packed-weights cache); removed whenever their slot is released
//
// An update goes to the slot that is not active (releasing what it held):
//   begin(head)   verify: header, ECDSA signature with the provisioned key, manifest,
//                 runtime version, anti-rollback, free space; open (or resume) the
//                 transfer: phase receiving
//   write_chunk   bytes at the acknowledged offset; each acknowledged chunk is durable
//   commit        phase verifying: SHA-256 of the bundle; rename into the slot;
//                 phase trial: load + verify the bundle, run the self-test;
//                 pass: the slot becomes active (phase committed); fail: the active
//                 slot never changed (phase rolled back, last_error says why)
// A restart in any phase is resolved by OtaAgent::open (see recover() in the .cpp):
// receiving resumes, verifying returns to receiving, an interrupted trial is
// abandoned, leftovers of atomic writes are removed.
//
// A store that cannot be written (its file system remounted read-only) or whose
// record is lost beyond rebuilding (degraded) is still opened: it serves what it
// holds, writes and deletes nothing, and refuses updates with the reason (health()).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "runtime/core/result.h"
#include "runtime/ota/crash_points.h"
#include "runtime/ota/public_key.h"
#include "runtime/ota/store_state.h"
#include "runtime/ota/update_file.h"

namespace linnet::ota {

// Loads `bundle_path` the way the runtime will (FlatBuffer verification, bounds
// checks, content SHA-256) and returns its content_sha256 in hex.
using TrialLoader = std::function<Result<std::string>(const std::string& bundle_path)>;

// Runs the manifest's self-test on the loaded candidate; an error fails the update.
using SelfTestRunner = std::function<Status(const std::string& bundle_path, const SelfTest& test)>;

// Bytes available for the store (statvfs when not given; tests shrink it).
using SpaceProbe = std::function<Result<std::uint64_t>(const std::string& dir)>;

inline constexpr std::size_t kDefaultMaxChunkBytes = 1024 * 1024;

enum class StoreAccess : std::uint8_t {
  kWritable,  // updates, rollback and recovery run
  kReadOnly,  // the file system refuses writes: serve what the store holds, no updates
  kDegraded,  // the record is lost and cannot be rebuilt: nothing is written or deleted
};

// "ok", "read-only", "degraded".
std::string_view store_access_name(StoreAccess access);

struct StoreHealth {
  StoreAccess access = StoreAccess::kWritable;
  // Why the store is read-only or degraded, or what was repaired when it was opened
  // ("" when nothing was wrong).
  std::string note;
};

// What `linnet ota status` and the server show without opening (locking) the store.
struct StoreReport {
  StoreState state;    // the newest record copy that checks (empty when there is none)
  StoreHealth health;  // damage found in the record copies, or a read-only file system
};

struct AgentOptions {
  std::string store_dir;
  TrialLoader trial_loader;          // required
  SelfTestRunner self_test;          // empty: updates that carry a self-test are refused
  SpaceProbe space_probe;            // empty: statvfs
  CrashPoints* crash_points = nullptr;  // borrowed, may be null; outlives the agent
  std::function<void(std::string_view)> log;  // may be empty: repairs and degradation
  RuntimeVersion runtime_version = this_runtime_version();
  std::size_t max_chunk_bytes = kDefaultMaxChunkBytes;
  std::uint64_t space_margin_bytes = 1024 * 1024;  // kept free beyond the update
};

struct TransferProgress {
  std::string model_name;
  std::uint64_t version = 0;
  std::uint64_t received = 0;     // acknowledged bundle bytes: the next chunk's offset
  std::uint64_t bundle_size = 0;
  bool resumed = false;           // begin() found this transfer already open
};

struct ActiveModel {
  int slot = kNoSlot;
  std::string model_name;
  std::uint64_t version = 0;
  std::string bundle_path;
};

class OtaAgent {
 public:
  // Opens (creating if needed) and locks the store, then resolves whatever a crash
  // left behind. `public_key` is the provisioned vendor key.
  static Result<OtaAgent> open(AgentOptions options, PublicKey public_key);

  OtaAgent(OtaAgent&& other) noexcept;
  OtaAgent& operator=(OtaAgent&& other) noexcept;
  OtaAgent(const OtaAgent&) = delete;
  OtaAgent& operator=(const OtaAgent&) = delete;
  ~OtaAgent();

  // `head`: the first bytes of a .lnu, at least its head. Opens a new transfer, or
  // resumes the open one when the manifest is the same (received > 0).
  Result<TransferProgress> begin(std::span<const std::uint8_t> head);

  // Bundle bytes at `offset` (bundle coordinates, 0 = first byte after the head).
  // Must not start beyond the acknowledged offset; bytes already held are skipped.
  // Returns the new acknowledged offset once the bytes are durable.
  Result<TransferProgress> write_chunk(std::uint64_t offset, std::span<const std::uint8_t> bytes);

  // All bytes received: verify, trial, switch. On success the returned model is active.
  Result<ActiveModel> commit();

  // Drops the open transfer (the active model is untouched).
  Status abort_transfer(std::string_view reason);

  // begin + chunks + commit from a local .lnu file (resumes an interrupted install
  // of the same update). `on_progress` (may be empty) sees each acknowledged offset.
  Result<ActiveModel> install_file(const std::string& update_path,
                                   const std::function<void(const TransferProgress&)>& on_progress = {});

  // Makes the other slot active again if it holds a good bundle that still loads.
  Result<ActiveModel> rollback();

  // At start-up: if the active bundle no longer loads (damaged storage), falls back
  // to the other good slot. Returns the model to serve; an error only when no slot
  // holds a loadable bundle (e.g. a fresh store).
  Result<ActiveModel> ensure_active_loads();

  // Full consistency check of the store (hashes every bundle): what the fault
  // harness asserts after each crash. Empty on success, else the first problem.
  Status check_consistency() const;

  std::optional<ActiveModel> active() const;
  const StoreState& state() const { return state_; }
  const StoreHealth& health() const { return health_; }
  bool writable() const { return health_.access == StoreAccess::kWritable; }
  const std::string& store_dir() const { return options_.store_dir; }
  std::string slot_path(int slot) const;

  // Reads the state record without locking or recovering (for `linnet ota status`
  // while a server holds the store). A store with no state yet reads as empty; an
  // error when no copy of the record checks.
  static Result<StoreState> read_state(const std::string& store_dir);
  // The same, never failing on damage: it is described in the report's health.
  static Result<StoreReport> inspect(const std::string& store_dir);

 private:
  OtaAgent(AgentOptions options, PublicKey public_key, int lock_fd);

  Status load_state();
  Status recover();
  bool trial_passed(int t) const;
  Status save(StoreState next);
  Status require_writable(std::string_view what) const;
  void log(const std::string& message) const;
  std::string slot_head_path(int slot) const;
  // Releases slot `slot`'s files: bundle, head and derived files (not durable until
  // sync_directory). Returns whether anything was there.
  Result<bool> release_slot_files(int slot) const;
  Result<ActiveModel> first_loadable_slot() const;
  Status record_error(const Error& error);
  Error fail_transfer(Error error);
  Result<Manifest> verify_head(const UpdateHead& head) const;
  Result<Manifest> open_transfer_manifest() const;
  std::string path(std::string_view name) const;
  // Files derived from a slot's bundle ("slot-a.linnet.<anything>", e.g. the XNNPACK
  // packed-weights cache the server keeps beside it): their bytes and size in total.
  Result<std::uint64_t> slot_sidecar_bytes(int slot) const;
  Result<std::size_t> remove_slot_sidecars(int slot) const;  // how many were removed

  AgentOptions options_;
  PublicKey public_key_;
  int lock_fd_ = -1;
  StoreState state_;
  StoreHealth health_;
  // Degraded store only: slot files whose signed head is missing or does not match
  // (kept, never deleted; served only if nothing verified loads).
  std::array<bool, kSlotCount> unverified_slot_files_{};
};

}  // namespace linnet::ota
