#include "runtime/ota/ota_agent.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "runtime/ota/durable_file.h"
#include "runtime/ota/state_files.h"

namespace linnet::ota {
namespace {

constexpr char kHeadFile[] = "incoming.head";
constexpr char kIncomingFile[] = "incoming.bundle";
constexpr char kLockFile[] = "lock";
constexpr std::size_t kHashBufferBytes = 1024 * 1024;

std::string describe(const SlotRecord& slot) {
  return slot.model_name + " v" + std::to_string(slot.version);
}

std::string describe(const Manifest& m) { return m.model_name + " v" + std::to_string(m.version); }

// Streams a file through SHA-256; also returns its size.
Result<std::pair<Sha256Digest, std::uint64_t>> hash_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(path, "open", errno);
  Sha256 hasher;
  std::vector<std::uint8_t> buf(kHashBufferBytes);
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return errno_error(path, "read", err);
    }
    if (n == 0) break;
    hasher.update(std::span(buf).first(static_cast<std::size_t>(n)));
    total += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return std::make_pair(hasher.finish(), total);
}

Status pread_all(int fd, std::uint8_t* dst, std::size_t n, std::uint64_t offset, const std::string& path) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, dst + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return errno_error(path, "read", errno);
    }
    if (r == 0) return Error(ErrorCode::kCorrupt, path + ": file ended early");
    done += static_cast<std::size_t>(r);
  }
  return ok_status();
}

// "slot-a.head": the signed head of the update slot a holds.
std::string slot_head_name(int slot) { return "slot-" + std::string(slot_name(slot)) + ".head"; }

bool is_zero(const Sha256Digest& d) {
  return std::all_of(d.begin(), d.end(), [](std::uint8_t b) { return b == 0; });
}

}  // namespace

std::string_view store_access_name(StoreAccess access) {
  switch (access) {
    case StoreAccess::kWritable: return "ok";
    case StoreAccess::kReadOnly: return "read-only";
    case StoreAccess::kDegraded: return "degraded";
  }
  return "?";
}

// ---------------------------------------------------------------- open / recovery

OtaAgent::OtaAgent(AgentOptions options, PublicKey public_key, int lock_fd)
    : options_(std::move(options)), public_key_(std::move(public_key)), lock_fd_(lock_fd) {}

OtaAgent::OtaAgent(OtaAgent&& other) noexcept
    : options_(std::move(other.options_)),
      public_key_(std::move(other.public_key_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      state_(std::move(other.state_)),
      health_(std::move(other.health_)),
      unverified_slot_files_(other.unverified_slot_files_) {}

OtaAgent& OtaAgent::operator=(OtaAgent&& other) noexcept {
  if (this != &other) {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    options_ = std::move(other.options_);
    public_key_ = std::move(other.public_key_);
    lock_fd_ = std::exchange(other.lock_fd_, -1);
    state_ = std::move(other.state_);
    health_ = std::move(other.health_);
    unverified_slot_files_ = other.unverified_slot_files_;
  }
  return *this;
}

OtaAgent::~OtaAgent() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

std::string OtaAgent::path(std::string_view name) const { return options_.store_dir + "/" + std::string(name); }

std::string OtaAgent::slot_path(int slot) const {
  return path(std::string("slot-") + std::string(slot_name(slot)) + ".linnet");
}

Result<std::uint64_t> OtaAgent::slot_sidecar_bytes(int slot) const {
  const std::string prefix = "slot-" + std::string(slot_name(slot)) + ".linnet.";
  DIR* dir = ::opendir(options_.store_dir.c_str());
  if (dir == nullptr) return errno_error(options_.store_dir, "open directory", errno);
  std::uint64_t total = 0;
  Status status = ok_status();
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (!name.starts_with(prefix)) continue;
    auto size = file_size(path(name));
    if (!size.ok()) {
      status = std::move(size).error();
      break;
    }
    total += size->value_or(0);
  }
  ::closedir(dir);
  if (!status.ok()) return std::move(status).error();
  return total;
}

Result<std::size_t> OtaAgent::remove_slot_sidecars(int slot) const {
  const std::string prefix = "slot-" + std::string(slot_name(slot)) + ".linnet.";
  DIR* dir = ::opendir(options_.store_dir.c_str());
  if (dir == nullptr) return errno_error(options_.store_dir, "open directory", errno);
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name.starts_with(prefix)) names.emplace_back(name);
  }
  ::closedir(dir);
  for (const std::string& name : names) LINNET_TRY(remove_file(path(name)));
  return names.size();
}

Result<StoreState> OtaAgent::read_state(const std::string& store_dir) {
  const StateReading reading = LINNET_TRY(read_state_files(store_dir));
  if (reading.state) return *reading.state;
  if (!reading.any_copy_exists) return StoreState{};
  return Error(ErrorCode::kCorrupt, store_dir + ": no copy of the state record checks (" + reading.damage + ")");
}

Result<StoreReport> OtaAgent::inspect(const std::string& store_dir) {
  const StateReading reading = LINNET_TRY(read_state_files(store_dir));
  StoreReport report;
  if (reading.state) report.state = *reading.state;
  if (::access(store_dir.c_str(), W_OK) != 0 && errno == EROFS) {
    report.health.access = StoreAccess::kReadOnly;
    report.health.note = "the store is on a read-only file system: updates are refused until it is writable";
  }
  bool slot_files = false;
  for (const char* name : {"slot-a.linnet", "slot-b.linnet"}) {
    slot_files |= LINNET_TRY(file_size(store_dir + "/" + name)).has_value();
  }
  if (!reading.state && !reading.any_copy_exists && slot_files) {
    report.health.access = StoreAccess::kDegraded;
    report.health.note = "the state record is missing; the next agent open rebuilds it from the slots' signed "
                         "manifests, or leaves the store untouched";
  }
  if (!reading.damage.empty()) {
    const std::string what = reading.state ? "the state record is damaged (" + reading.damage +
                                                 "); the good copy is used and the next agent open repairs it"
                                           : "no copy of the state record checks (" + reading.damage +
                                                 "); the next agent open rebuilds it from the slots' "
                                                 "signed manifests, or leaves the store untouched";
    if (!reading.state) report.health.access = StoreAccess::kDegraded;
    report.health.note = report.health.note.empty() ? what : report.health.note + "; " + what;
  }
  return report;
}

Result<OtaAgent> OtaAgent::open(AgentOptions options, PublicKey public_key) {
  if (options.store_dir.empty()) return Error(ErrorCode::kInvalidArgument, "no store directory given");
  if (!options.trial_loader) return Error(ErrorCode::kInvalidArgument, "OTA agent needs a trial loader");
  while (options.store_dir.size() > 1 && options.store_dir.back() == '/') options.store_dir.pop_back();
  if (::mkdir(options.store_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return errno_error(options.store_dir, "create store directory", errno);
  }
  const std::string lock_path = options.store_dir + "/" + kLockFile;
  StoreHealth health;
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EROFS) {
    // SD cards and ext4 fall back to read-only on errors: serve what the store holds.
    // Nobody can write it, so a shared lock (when the lock file exists) is enough.
    health.access = StoreAccess::kReadOnly;
    health.note = "the store " + options.store_dir +
                  " is on a read-only file system: serving what it holds; updates are refused until it is writable";
    fd = ::open(lock_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) (void)::flock(fd, LOCK_SH | LOCK_NB);
  } else if (fd < 0) {
    return errno_error(lock_path, "open", errno);
  } else if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Error(ErrorCode::kFailedPrecondition,
                   "store " + options.store_dir + " is in use by another linnet process");
    }
    return errno_error(lock_path, "flock", err);
  }
  OtaAgent agent(std::move(options), std::move(public_key), fd);
  agent.health_ = std::move(health);
  if (!agent.writable()) agent.log(agent.health_.note);
  LINNET_TRY(agent.load_state());
  if (agent.writable()) LINNET_TRY(agent.recover());
  return agent;
}

void OtaAgent::log(const std::string& message) const {
  if (options_.log) options_.log("store " + options_.store_dir + ": " + message);
}

std::string OtaAgent::slot_head_path(int slot) const { return path(slot_head_name(slot)); }

Status OtaAgent::require_writable(std::string_view what) const {
  if (writable()) return ok_status();
  return Error(ErrorCode::kFailedPrecondition, std::string(what) + " refused: " + health_.note);
}

// Reads the record (the newest good copy), repairs a damaged copy, and rebuilds a
// lost record from the slots' signed heads. Never deletes a slot file: a slot that
// cannot be verified leaves the store degraded (untouched) instead.
Status OtaAgent::load_state() {
  const StateReading reading = LINNET_TRY(read_state_files(options_.store_dir));
  if (reading.state) {
    state_ = *reading.state;
    if (reading.damage.empty()) return ok_status();
    const std::string note = "state record repaired: " + reading.damage + "; the copy of change " +
                             std::to_string(state_.generation) + " was used";
    log(note);
    if (!writable()) {
      health_.note += "; " + note + " (not rewritten: read-only)";
      return ok_status();
    }
    health_.note = note;
    StoreState next = state_;
    next.last_error = note;
    return save(std::move(next));
  }

  bool slot_files = false;
  for (int s = 0; s < kSlotCount; ++s) slot_files |= LINNET_TRY(file_size(slot_path(s))).has_value();
  if (!reading.any_copy_exists && !slot_files) return ok_status();  // a fresh store

  const std::string lost = reading.any_copy_exists ? "no copy of the state record checks (" + reading.damage + ")"
                                                   : "the state record is missing";
  StoreState rebuilt;
  std::string unverified;
  for (int s = 0; s < kSlotCount; ++s) {
    if (!LINNET_TRY(file_size(slot_path(s)))) continue;
    auto record = [&]() -> Result<SlotRecord> {
      auto bytes = LINNET_TRY(read_small_file(slot_head_path(s), kMaxHeadBytes));
      const UpdateHead head = LINNET_TRY(split_head(bytes));
      LINNET_TRY(public_key_.verify(head.manifest_sha256(), head.signature()));
      const Manifest m = LINNET_TRY(decode_manifest(head.manifest_bytes()));
      const auto hashed = LINNET_TRY(hash_file(slot_path(s)));
      if (hashed.first != m.bundle_sha256 || hashed.second != m.bundle_size) {
        return Error(ErrorCode::kVerification, "the bundle does not match its signed manifest");
      }
      return SlotRecord{SlotStatus::kGood, m.model_name, m.version, m.bundle_size, m.bundle_sha256};
    }();
    if (!record.ok()) {
      unverified_slot_files_[static_cast<std::size_t>(s)] = true;
      unverified += (unverified.empty() ? "" : "; ") + std::string("slot ") + std::string(slot_name(s)) + ": " +
                    record.error().message();
      continue;
    }
    rebuilt.slots[static_cast<std::size_t>(s)] = *record;
    rebuilt.version_floor = std::max(rebuilt.version_floor, record->version);
    if (rebuilt.active_slot == kNoSlot ||
        record->version > rebuilt.slots[static_cast<std::size_t>(rebuilt.active_slot)].version) {
      rebuilt.active_slot = s;
    }
  }
  rebuilt.phase = rebuilt.active_slot == kNoSlot ? Phase::kIdle : Phase::kCommitted;
  state_ = rebuilt;
  if (!unverified.empty()) {
    // Without a signed manifest there is no trustworthy version: rebuilding could lower
    // the anti-rollback floor, and cleaning up could delete a good model. Touch nothing.
    health_.access = StoreAccess::kDegraded;
    health_.note = lost + " and it cannot be rebuilt (" + unverified +
                   "): the store is left untouched; its best bundle that loads is served and updates are "
                   "refused until the record is restored (docs/ota.md)";
    log(health_.note);
    return ok_status();
  }
  std::string what = lost + "; rebuilt from the slots' signed manifests: ";
  what += rebuilt.active_slot == kNoSlot
              ? std::string("no slot holds a model")
              : "active " + describe(rebuilt.slots[static_cast<std::size_t>(rebuilt.active_slot)]) + " (slot " +
                    std::string(slot_name(rebuilt.active_slot)) + ")";
  what += ", anti-rollback floor " + std::to_string(rebuilt.version_floor);
  log(what);
  if (!writable()) {
    health_.note += "; " + what + " (not written: read-only)";
    return ok_status();
  }
  health_.note = what;
  state_.last_error = what;
  return save(state_);
}

// Brings the store from whatever a crash left to a state where every file agrees
// with the record: the open transfer survives (receiving), everything else that
// was in flight is abandoned, and the active slot is never touched.
Status OtaAgent::recover() {
  StoreState next = state_;
  bool abandon = false;
  std::string why;
  const int t = state_.target_slot;
  const bool transfer_open = state_.phase == Phase::kReceiving || state_.phase == Phase::kVerifying ||
                             state_.phase == Phase::kTrial;
  if (transfer_open && t == kNoSlot) {
    abandon = true;
    why = "store state had a transfer without a target slot";
  } else if (state_.phase == Phase::kReceiving || state_.phase == Phase::kVerifying) {
    const SlotRecord& target = state_.slots[static_cast<std::size_t>(t)];
    auto head = open_transfer_manifest();
    auto incoming = LINNET_TRY(file_size(path(kIncomingFile)));
    auto in_slot = LINNET_TRY(file_size(slot_path(t)));
    if (!head.ok()) {
      abandon = true;
      why = "transfer of " + describe(target) + " lost its head (" + head.error().message() + ")";
    } else if (state_.phase == Phase::kVerifying && !incoming && in_slot && *in_slot == target.bundle_size) {
      // Crashed after moving the bundle into its slot: move it back, commit may be retried.
      LINNET_TRY(rename_file(slot_path(t), path(kIncomingFile)));
      crash_point(options_.crash_points, "recover.unrenamed");
      LINNET_TRY(sync_directory(options_.store_dir));
      next.phase = Phase::kReceiving;
      next.received = target.bundle_size;
    } else if (!incoming || *incoming < state_.received) {
      abandon = true;
      why = "transfer of " + describe(target) + " lost its received bytes";
    } else {
      if (*incoming > state_.received) {
        // Bytes written after the last acknowledgement are not trusted: drop them.
        if (::truncate(path(kIncomingFile).c_str(), static_cast<off_t>(state_.received)) != 0) {
          return errno_error(path(kIncomingFile), "truncate", errno);
        }
        crash_point(options_.crash_points, "recover.truncated");
      }
      next.phase = Phase::kReceiving;  // (a slot file still being released is dropped below)
    }
  } else if (state_.phase == Phase::kTrial && trial_passed(t)) {
    // The signed head is kept only after the trial passed: the cut came between that
    // and the committing record. Finish the commit (abandoning it would delete a slot
    // that verifies, and forget its version for the anti-rollback floor).
    SlotRecord& target = next.slots[static_cast<std::size_t>(t)];
    target.status = SlotStatus::kGood;
    next.phase = Phase::kCommitted;
    next.active_slot = t;
    next.version_floor = std::max(next.version_floor, target.version);
    next.target_slot = kNoSlot;
    next.received = 0;
    next.transfer_manifest_sha256 = {};
    next.last_error = "the commit of " + describe(target) + " was interrupted after its trial passed; it was finished";
    log(next.last_error);
  } else if (state_.phase == Phase::kTrial) {
    abandon = true;
    why = "trial of " + describe(state_.slots[static_cast<std::size_t>(t)]) +
          " was interrupted by a restart; the update was abandoned";
  }

  if (abandon) {
    if (t != kNoSlot) next.slots[static_cast<std::size_t>(t)] = SlotRecord{};
    next.phase = Phase::kRolledBack;
    next.target_slot = kNoSlot;
    next.received = 0;
    next.transfer_manifest_sha256 = {};
    next.last_error = why;
  }
  if (next != state_) LINNET_TRY(save(std::move(next)));

  // Leftovers: files the record does not account for.
  bool removed = false;
  auto drop = [&](const std::string& p) -> Status {
    auto size = LINNET_TRY(file_size(p));
    if (size) {
      LINNET_TRY(remove_file(p));
      removed = true;
    }
    return ok_status();
  };
  LINNET_TRY(drop(path(std::string(kStateFile) + ".tmp")));
  LINNET_TRY(drop(path(std::string(kStateCopyFile) + ".tmp")));
  LINNET_TRY(drop(path(std::string(kHeadFile) + ".tmp")));
  if (state_.phase != Phase::kReceiving) {
    LINNET_TRY(drop(path(kHeadFile)));
    LINNET_TRY(drop(path(kIncomingFile)));
  }
  for (int s = 0; s < kSlotCount; ++s) {
    const SlotStatus st = state_.slots[static_cast<std::size_t>(s)].status;
    if (st == SlotStatus::kEmpty || st == SlotStatus::kReceiving) {
      if (LINNET_TRY(release_slot_files(s))) removed = true;
    } else if (st == SlotStatus::kGood || st == SlotStatus::kTrial) {
      LINNET_TRY(drop(slot_head_path(s) + ".tmp"));
    }
  }
  if (removed) {
    LINNET_TRY(sync_directory(options_.store_dir));
    crash_point(options_.crash_points, "recover.cleaned");
  }
  return ok_status();
}

// Phase trial: whether slot `t` already has the open transfer's signed head beside it,
// which commit() writes only once the trial load and the self-test passed.
bool OtaAgent::trial_passed(int t) const {
  auto bytes = read_small_file(slot_head_path(t), kMaxHeadBytes);
  if (!bytes.ok()) return false;
  auto head = split_head(*bytes);
  return head.ok() && head->manifest_sha256() == state_.transfer_manifest_sha256 &&
         public_key_.verify(head->manifest_sha256(), head->signature()).ok();
}

Status OtaAgent::save(StoreState next) {
  LINNET_TRY(require_writable("writing the store's record"));
  next.generation = state_.generation + 1;
  LINNET_TRY(write_state_files(options_.store_dir, next, options_.crash_points));
  state_ = std::move(next);
  return ok_status();
}

Status OtaAgent::record_error(const Error& error) {
  if (!writable()) return ok_status();  // the caller returns the error itself
  if (state_.last_error == error.message()) return ok_status();  // no flash wear on repeats
  StoreState next = state_;
  next.last_error = error.message();
  return save(std::move(next));
}

// Abandons the open transfer after `error`: the target slot is emptied, the active
// slot was never touched. Returns `error` (with any clean-up failure appended).
Error OtaAgent::fail_transfer(Error error) {
  const int t = state_.target_slot;
  StoreState next = state_;
  if (t != kNoSlot) next.slots[static_cast<std::size_t>(t)] = SlotRecord{};
  next.phase = Phase::kRolledBack;
  next.target_slot = kNoSlot;
  next.received = 0;
  next.transfer_manifest_sha256 = {};
  next.last_error = error.message();
  Status saved = save(std::move(next));
  if (!saved.ok()) {
    return Error(error.code(), error.message() + " (and recording the failure failed: " +
                                   saved.error().message() + ")");
  }
  Status cleaned = remove_file(path(kIncomingFile));
  if (cleaned.ok()) cleaned = remove_file(path(kHeadFile));
  if (cleaned.ok() && t != kNoSlot) {
    auto released = release_slot_files(t);
    if (!released.ok()) cleaned = std::move(released).error();
  }
  crash_point(options_.crash_points, "abandon.removed");
  if (cleaned.ok()) cleaned = sync_directory(options_.store_dir);
  crash_point(options_.crash_points, "abandon.synced");
  (void)cleaned;  // leftovers are removed at the next open
  return error;
}

// ---------------------------------------------------------------- verification

Result<Manifest> OtaAgent::verify_head(const UpdateHead& head) const {
  const Status signature = public_key_.verify(head.manifest_sha256(), head.signature());
  if (!signature.ok()) {
    // Only for the message: which key does the (untrusted) manifest claim?
    auto claimed = decode_manifest(head.manifest_bytes());
    if (claimed.ok() && claimed->key_id && *claimed->key_id != public_key_.key_id()) {
      return Error(ErrorCode::kVerification,
                   "update refused: signed with key " + short_key_id(*claimed->key_id) +
                       ", but this device trusts key " + short_key_id(public_key_.key_id()) + " (wrong key)");
    }
    return Error(ErrorCode::kVerification,
                 "update refused: the manifest signature does not verify with the provisioned key " +
                     short_key_id(public_key_.key_id()) + " (" + signature.error().message() +
                     "): the manifest or its signature was altered, or another key signed it");
  }
  auto decoded = decode_manifest(head.manifest_bytes());
  if (!decoded.ok()) return std::move(decoded).error().with_context("update refused");
  Manifest m = std::move(decoded).value();
  if (m.bundle_size != head.header.bundle_size) {
    return Error(ErrorCode::kCorrupt, "update refused: the header frames " +
                                          std::to_string(head.header.bundle_size) +
                                          " bundle bytes but the manifest says " + std::to_string(m.bundle_size));
  }
  if (options_.runtime_version < m.min_runtime) {
    return Error(ErrorCode::kUnsupported, "update refused: " + describe(m) + " needs runtime " +
                                              m.min_runtime.to_string() + " or newer, this is " +
                                              options_.runtime_version.to_string());
  }
  if (m.version <= state_.version_floor) {
    return Error(ErrorCode::kFailedPrecondition,
                 "update refused: version " + std::to_string(m.version) + " is not above the installed version " +
                     std::to_string(state_.version_floor) + " (anti-rollback)");
  }
  if (m.self_test && !options_.self_test) {
    return Error(ErrorCode::kUnsupported, "update refused: " + describe(m) +
                                              " carries a self-test but this runtime has no self-test runner");
  }
  return m;
}

// The manifest of the open transfer, from incoming.head (re-verified: the store's
// files are not trusted more than the serial line).
Result<Manifest> OtaAgent::open_transfer_manifest() const {
  auto bytes = LINNET_TRY(read_small_file(path(kHeadFile), kMaxHeadBytes));
  const UpdateHead head = LINNET_TRY(split_head(bytes));
  if (head.manifest_sha256() != state_.transfer_manifest_sha256) {
    return Error(ErrorCode::kCorrupt, "incoming.head does not hold the open transfer's manifest");
  }
  return verify_head(head);
}

// ---------------------------------------------------------------- transfer

Result<TransferProgress> OtaAgent::begin(std::span<const std::uint8_t> head_bytes) {
  LINNET_TRY(require_writable("update"));
  auto split = split_head(head_bytes);
  if (!split.ok()) {
    Error e = std::move(split).error().with_context("update refused");
    (void)record_error(e);
    return e;
  }
  const UpdateHead head = std::move(split).value();
  auto verified = verify_head(head);
  if (!verified.ok()) {
    (void)record_error(verified.error());
    return std::move(verified).error();
  }
  const Manifest m = std::move(verified).value();
  const Sha256Digest manifest_sha = head.manifest_sha256();
  const std::uint64_t available = LINNET_TRY(options_.space_probe ? options_.space_probe(options_.store_dir)
                                                                  : available_bytes(options_.store_dir));

  TransferProgress progress{m.model_name, m.version, 0, m.bundle_size, false};
  if (state_.phase == Phase::kReceiving && state_.transfer_manifest_sha256 == manifest_sha) {
    const std::uint64_t need = m.bundle_size - state_.received + options_.space_margin_bytes;
    if (available < need) {
      Error e(ErrorCode::kNoSpace, "cannot resume " + describe(m) + ": needs " + std::to_string(need) +
                                       " more bytes in " + options_.store_dir + ", " +
                                       std::to_string(available) + " available");
      (void)record_error(e);
      return e;
    }
    progress.received = state_.received;
    progress.resumed = true;
    return progress;
  }

  // A new transfer goes to the slot that is not active; what that slot held (the
  // rollback target) and any other open transfer are released.
  const int target = state_.active_slot == kNoSlot ? 0 : 1 - state_.active_slot;
  std::uint64_t reclaimable = 0;
  if (auto s = LINNET_TRY(file_size(slot_path(target)))) reclaimable += *s;
  reclaimable += LINNET_TRY(slot_sidecar_bytes(target));
  if (auto s = LINNET_TRY(file_size(path(kIncomingFile)))) reclaimable += *s;
  const std::uint64_t need = m.bundle_size + head.bytes.size() + options_.space_margin_bytes;
  if (available + reclaimable < need) {
    Error e(ErrorCode::kNoSpace, "update refused: " + describe(m) + " needs " + std::to_string(need) +
                                     " bytes in " + options_.store_dir + ", only " +
                                     std::to_string(available + reclaimable) +
                                     " are available (counting the slot it replaces)");
    (void)record_error(e);
    return e;
  }

  LINNET_TRY(write_file_atomically(options_.store_dir, kHeadFile, head.bytes, options_.crash_points, "head"));
  {
    const std::string p = path(kIncomingFile);
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno_error(p, "create", errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return errno_error(p, "fsync", err);
    crash_point(options_.crash_points, "incoming.created");
  }
  StoreState next = state_;
  next.phase = Phase::kReceiving;
  next.target_slot = target;
  next.received = 0;
  next.transfer_manifest_sha256 = manifest_sha;
  next.slots[static_cast<std::size_t>(target)] =
      SlotRecord{SlotStatus::kReceiving, m.model_name, m.version, m.bundle_size, m.bundle_sha256};
  next.last_error.clear();
  LINNET_TRY(save(std::move(next)));
  if (LINNET_TRY(release_slot_files(target))) {
    crash_point(options_.crash_points, "slot.released");
    LINNET_TRY(sync_directory(options_.store_dir));
    crash_point(options_.crash_points, "slot.released-synced");
  }
  return progress;
}

Result<TransferProgress> OtaAgent::write_chunk(std::uint64_t offset, std::span<const std::uint8_t> bytes) {
  LINNET_TRY(require_writable("chunk"));
  if (state_.phase != Phase::kReceiving) {
    return Error(ErrorCode::kFailedPrecondition, "chunk refused: no transfer is open (send begin first)");
  }
  const SlotRecord& target = state_.slots[static_cast<std::size_t>(state_.target_slot)];
  TransferProgress progress{target.model_name, target.version, state_.received, target.bundle_size, false};
  if (bytes.size() > options_.max_chunk_bytes) {
    return Error(ErrorCode::kInvalidArgument, "chunk refused: " + std::to_string(bytes.size()) +
                                                  " bytes, more than the maximum of " +
                                                  std::to_string(options_.max_chunk_bytes));
  }
  if (offset > state_.received) {
    return Error(ErrorCode::kOutOfRange, "chunk refused: it starts at offset " + std::to_string(offset) +
                                             " but only " + std::to_string(state_.received) +
                                             " bytes are acknowledged (resend from there)");
  }
  const std::uint64_t end = offset + bytes.size();
  if (end > target.bundle_size) {
    return Error(ErrorCode::kOutOfRange, "chunk refused: it ends at offset " + std::to_string(end) +
                                             ", beyond the bundle's " + std::to_string(target.bundle_size) +
                                             " bytes");
  }
  if (end <= state_.received) return progress;  // a resent chunk we already hold

  const auto fresh = bytes.subspan(static_cast<std::size_t>(state_.received - offset));
  const std::string p = path(kIncomingFile);
  const int fd = ::open(p.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(p, "open", errno);
  std::size_t done = 0;
  while (done < fresh.size()) {
    const ssize_t n = ::pwrite(fd, fresh.data() + done, fresh.size() - done,
                               static_cast<off_t>(state_.received + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return errno_error(p, "write", err);
    }
    done += static_cast<std::size_t>(n);
  }
  crash_point(options_.crash_points, "chunk.written");
  const int rc = ::fdatasync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return errno_error(p, "fdatasync", err);
  crash_point(options_.crash_points, "chunk.synced");

  StoreState next = state_;
  next.received = end;
  LINNET_TRY(save(std::move(next)));
  progress.received = end;
  return progress;
}

Status OtaAgent::abort_transfer(std::string_view reason) {
  LINNET_TRY(require_writable("abort"));
  if (state_.phase != Phase::kReceiving) {
    return Error(ErrorCode::kFailedPrecondition, "no transfer is open");
  }
  return fail_transfer(Error(ErrorCode::kCancelled, "transfer aborted: " + std::string(reason)));
}

Result<ActiveModel> OtaAgent::commit() {
  LINNET_TRY(require_writable("commit"));
  if (state_.phase != Phase::kReceiving) {
    return Error(ErrorCode::kFailedPrecondition, "commit refused: no transfer is open");
  }
  const int t = state_.target_slot;
  const SlotRecord& target = state_.slots[static_cast<std::size_t>(t)];
  if (state_.received != target.bundle_size) {
    return Error(ErrorCode::kFailedPrecondition, "commit refused: transfer incomplete, " +
                                                     std::to_string(state_.received) + " of " +
                                                     std::to_string(target.bundle_size) + " bytes received");
  }
  auto manifest = open_transfer_manifest();
  if (!manifest.ok()) return fail_transfer(std::move(manifest).error());
  const Manifest m = std::move(manifest).value();

  StoreState next = state_;
  next.phase = Phase::kVerifying;
  LINNET_TRY(save(std::move(next)));

  auto hashed = hash_file(path(kIncomingFile));
  if (!hashed.ok()) return fail_transfer(std::move(hashed).error());
  if (hashed->second != m.bundle_size || hashed->first != m.bundle_sha256) {
    return fail_transfer(Error(ErrorCode::kVerification,
                               "update refused: the bundle's SHA-256 is " + to_hex(hashed->first) +
                                   " but the manifest of " + describe(m) + " names " + to_hex(m.bundle_sha256) +
                                   " (the bundle was altered, or belongs to another manifest)"));
  }

  if (Status moved = rename_file(path(kIncomingFile), slot_path(t)); !moved.ok()) {
    return fail_transfer(std::move(moved).error());
  }
  crash_point(options_.crash_points, "slot.renamed");
  if (Status synced = sync_directory(options_.store_dir); !synced.ok()) {
    return fail_transfer(std::move(synced).error());
  }
  crash_point(options_.crash_points, "slot.renamed-synced");
  next = state_;
  next.phase = Phase::kTrial;
  next.slots[static_cast<std::size_t>(t)].status = SlotStatus::kTrial;
  if (Status saved = save(std::move(next)); !saved.ok()) return fail_transfer(std::move(saved).error());

  auto content = options_.trial_loader(slot_path(t));
  if (!content.ok()) {
    return fail_transfer(std::move(content).error().with_context("update refused: trial load of " + describe(m)));
  }
  if (m.content_sha256 && *content != to_hex(*m.content_sha256)) {
    return fail_transfer(Error(ErrorCode::kVerification, "update refused: " + describe(m) +
                                                             " loads but its content_sha256 is " + *content +
                                                             ", the manifest names " + to_hex(*m.content_sha256)));
  }
  if (m.self_test) {
    Status passed = options_.self_test(slot_path(t), *m.self_test);
    if (!passed.ok()) {
      return fail_transfer(std::move(passed).error().with_context("update refused: self-test of " + describe(m)));
    }
  }

  // The signed head goes beside the slot before the record trusts it: with it the
  // record can be rebuilt if both its copies are ever lost (load_state).
  {
    auto head_bytes = read_small_file(path(kHeadFile), kMaxHeadBytes);
    Status kept = head_bytes.ok() ? write_file_atomically(options_.store_dir, slot_head_name(t), *head_bytes,
                                                          options_.crash_points, "slot-head")
                                  : Status(std::move(head_bytes).error());
    if (!kept.ok()) return fail_transfer(std::move(kept).error().with_context("keeping the update's signed head"));
  }
  next = state_;
  next.phase = Phase::kCommitted;
  next.active_slot = t;
  next.slots[static_cast<std::size_t>(t)].status = SlotStatus::kGood;
  next.version_floor = std::max(next.version_floor, m.version);
  next.target_slot = kNoSlot;
  next.received = 0;
  next.transfer_manifest_sha256 = {};
  next.last_error.clear();
  LINNET_TRY(save(std::move(next)));
  // The head is no longer needed; if this is lost, the next open removes it.
  if (remove_file(path(kHeadFile)).ok()) {
    crash_point(options_.crash_points, "head.removed");
    if (sync_directory(options_.store_dir).ok()) crash_point(options_.crash_points, "head.removed-synced");
  }
  return *active();
}

Result<ActiveModel> OtaAgent::install_file(const std::string& update_path,
                                           const std::function<void(const TransferProgress&)>& on_progress) {
  const int fd = ::open(update_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error(update_path, "open", errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_error(update_path, "stat", errno);
  const auto file_bytes = static_cast<std::uint64_t>(st.st_size);

  std::vector<std::uint8_t> head_bytes(static_cast<std::size_t>(std::min<std::uint64_t>(file_bytes, kMaxHeadBytes)));
  LINNET_TRY(pread_all(fd, head_bytes.data(), head_bytes.size(), 0, update_path));
  auto header = decode_header(head_bytes);
  if (!header.ok()) {
    Error e = std::move(header).error().with_context("update refused: " + update_path);
    (void)record_error(e);
    return e;
  }
  if (file_bytes != header->file_size()) {
    Error e(ErrorCode::kCorrupt,
            "update refused: " + update_path + " is " + std::to_string(file_bytes) + " bytes but its header frames " +
                std::to_string(header->file_size()) + (file_bytes < header->file_size() ? " (truncated)" : ""));
    (void)record_error(e);
    return e;
  }
  TransferProgress progress = LINNET_TRY(begin(head_bytes));
  if (on_progress) on_progress(progress);
  const std::size_t head_size = header->head_size();
  std::vector<std::uint8_t> chunk(std::min<std::uint64_t>(options_.max_chunk_bytes, progress.bundle_size));
  while (progress.received < progress.bundle_size) {
    const auto n = static_cast<std::size_t>(
        std::min<std::uint64_t>(chunk.size(), progress.bundle_size - progress.received));
    LINNET_TRY(pread_all(fd, chunk.data(), n, head_size + progress.received, update_path));
    progress = LINNET_TRY(write_chunk(progress.received, std::span(chunk).first(n)));
    if (on_progress) on_progress(progress);
  }
  return commit();
}

// ---------------------------------------------------------------- rollback / start-up

std::optional<ActiveModel> OtaAgent::active() const {
  if (state_.active_slot == kNoSlot) return std::nullopt;
  const SlotRecord& s = state_.slots[static_cast<std::size_t>(state_.active_slot)];
  return ActiveModel{state_.active_slot, s.model_name, s.version, slot_path(state_.active_slot)};
}

Result<ActiveModel> OtaAgent::rollback() {
  LINNET_TRY(require_writable("rollback"));
  if (state_.active_slot == kNoSlot) {
    return Error(ErrorCode::kFailedPrecondition, "rollback refused: the store has no active model");
  }
  const int other = 1 - state_.active_slot;
  const SlotRecord& slot = state_.slots[static_cast<std::size_t>(other)];
  if (slot.status != SlotStatus::kGood) {
    return Error(ErrorCode::kFailedPrecondition, "rollback refused: slot " + std::string(slot_name(other)) +
                                                     " holds no previous good bundle (it is " +
                                                     std::string(slot_status_name(slot.status)) + ")");
  }
  auto hashed = hash_file(slot_path(other));
  if (!hashed.ok()) return std::move(hashed).error().with_context("rollback refused");
  if (hashed->first != slot.bundle_sha256) {
    return Error(ErrorCode::kVerification, "rollback refused: slot " + std::string(slot_name(other)) + " (" +
                                               describe(slot) + ") is damaged: its SHA-256 changed");
  }
  auto loaded = options_.trial_loader(slot_path(other));
  if (!loaded.ok()) {
    return std::move(loaded).error().with_context("rollback refused: " + describe(slot) + " does not load");
  }
  StoreState next = state_;
  next.active_slot = other;
  next.phase = Phase::kRolledBack;
  next.last_error.clear();
  LINNET_TRY(save(std::move(next)));
  return *active();
}

Result<ActiveModel> OtaAgent::ensure_active_loads() {
  if (!writable()) return first_loadable_slot();
  std::string failures;
  for (int attempt = 0; attempt < kSlotCount; ++attempt) {
    const auto current = active();
    if (!current) {
      return Error(ErrorCode::kNotFound, "the store " + options_.store_dir + " holds no model" +
                                             (failures.empty() ? std::string() : " that loads: " + failures));
    }
    const SlotRecord& slot = state_.slots[static_cast<std::size_t>(current->slot)];
    auto size = file_size(current->bundle_path);
    Status usable = ok_status();
    if (!size.ok()) {
      usable = std::move(size).error();
    } else if (!*size || **size != slot.bundle_size) {
      usable = Error(ErrorCode::kCorrupt, current->bundle_path + " is missing or has the wrong size");
    } else if (auto loaded = options_.trial_loader(current->bundle_path); !loaded.ok()) {
      usable = std::move(loaded).error();
    }
    if (usable.ok()) {
      if (!failures.empty()) {
        StoreState next = state_;
        next.last_error = failures;
        (void)save(std::move(next));
      }
      return *current;
    }
    // The active bundle is damaged: fall back to the other slot if it is good.
    failures += (failures.empty() ? "" : "; ") + std::string("slot ") + std::string(slot_name(current->slot)) +
                " (" + describe(slot) + ") does not load: " + usable.error().message();
    StoreState next = state_;
    next.slots[static_cast<std::size_t>(current->slot)] = SlotRecord{};
    const int other = 1 - current->slot;
    next.active_slot = next.slots[static_cast<std::size_t>(other)].status == SlotStatus::kGood ? other : kNoSlot;
    next.last_error = failures;
    if (next.phase != Phase::kReceiving) next.phase = Phase::kRolledBack;
    LINNET_TRY(save(std::move(next)));
    (void)LINNET_TRY(release_slot_files(current->slot));
    LINNET_TRY(sync_directory(options_.store_dir));
  }
  return Error(ErrorCode::kNotFound, "no slot of " + options_.store_dir + " holds a bundle that loads: " + failures);
}

// A store that must not be written: the active slot if it loads, else the other good
// slot, else (degraded) a slot file that loads although no signed manifest vouches
// for it. Nothing is recorded.
Result<ActiveModel> OtaAgent::first_loadable_slot() const {
  std::vector<int> order;
  if (state_.active_slot != kNoSlot) order.push_back(state_.active_slot);
  for (int s = 0; s < kSlotCount; ++s) {
    if (s != state_.active_slot && state_.slots[static_cast<std::size_t>(s)].status == SlotStatus::kGood) {
      order.push_back(s);
    }
  }
  for (int s = 0; s < kSlotCount; ++s) {
    if (unverified_slot_files_[static_cast<std::size_t>(s)]) order.push_back(s);
  }
  std::string failures;
  for (const int s : order) {
    const SlotRecord& slot = state_.slots[static_cast<std::size_t>(s)];
    const bool vouched = slot.status == SlotStatus::kGood;
    Status usable = ok_status();
    if (auto size = file_size(slot_path(s)); !size.ok()) {
      usable = std::move(size).error();
    } else if (!*size || (vouched && **size != slot.bundle_size)) {
      usable = Error(ErrorCode::kCorrupt, slot_path(s) + " is missing or has the wrong size");
    } else if (auto loaded = options_.trial_loader(slot_path(s)); !loaded.ok()) {
      usable = std::move(loaded).error();
    }
    if (usable.ok()) {
      if (vouched) return ActiveModel{s, slot.model_name, slot.version, slot_path(s)};
      return ActiveModel{s, "unverified bundle in slot " + std::string(slot_name(s)), 0, slot_path(s)};
    }
    failures += (failures.empty() ? "" : "; ") + std::string("slot ") + std::string(slot_name(s)) +
                " does not load: " + usable.error().message();
  }
  return Error(ErrorCode::kNotFound, "the store " + options_.store_dir + " holds no model" +
                                         (failures.empty() ? std::string() : " that loads: " + failures));
}

Result<bool> OtaAgent::release_slot_files(int slot) const {
  bool held = LINNET_TRY(file_size(slot_path(slot))).has_value();
  held |= LINNET_TRY(file_size(slot_head_path(slot))).has_value();
  LINNET_TRY(remove_file(slot_path(slot)));
  LINNET_TRY(remove_file(slot_head_path(slot)));
  LINNET_TRY(remove_file(slot_head_path(slot) + ".tmp"));
  held |= LINNET_TRY(remove_slot_sidecars(slot)) > 0;
  return held;
}

Status OtaAgent::check_consistency() const {
  auto fail = [](std::string what) { return Error(ErrorCode::kCorrupt, "store inconsistent: " + std::move(what)); };
  const StateReading reading = LINNET_TRY(read_state_files(options_.store_dir));
  if (!reading.damage.empty()) return fail("the state record copies: " + reading.damage);
  // No copy at all is a store that has not written its first record yet.
  const StoreState on_disk = reading.state ? *reading.state : StoreState{};
  if (reading.state.has_value() != reading.any_copy_exists || !(on_disk == state_)) {
    return fail("the state file differs from the agent's record");
  }
  if (state_.phase == Phase::kVerifying || state_.phase == Phase::kTrial) {
    return fail("phase " + std::string(phase_name(state_.phase)) + " outside an update");
  }
  for (int s = 0; s < kSlotCount; ++s) {
    const SlotRecord& slot = state_.slots[static_cast<std::size_t>(s)];
    const auto size = LINNET_TRY(file_size(slot_path(s)));
    const std::string name = "slot " + std::string(slot_name(s));
    if (slot.status == SlotStatus::kGood) {
      if (!size) return fail(name + " is good but its file is missing");
      const auto hashed = LINNET_TRY(hash_file(slot_path(s)));
      if (hashed.first != slot.bundle_sha256 || hashed.second != slot.bundle_size) {
        return fail(name + " (" + describe(slot) + ") does not match its record");
      }
    } else if (size) {
      return fail(name + " is " + std::string(slot_status_name(slot.status)) + " but has a file");
    }
    if (slot.status != SlotStatus::kGood && LINNET_TRY(file_size(slot_head_path(s)))) {
      return fail(name + " is " + std::string(slot_status_name(slot.status)) + " but has a signed head");
    }
    if (slot.status == SlotStatus::kTrial) return fail(name + " is in trial outside an update");
    if (slot.status == SlotStatus::kReceiving && (state_.phase != Phase::kReceiving || state_.target_slot != s)) {
      return fail(name + " is receiving but no transfer targets it");
    }
  }
  if (state_.active_slot != kNoSlot &&
      state_.slots[static_cast<std::size_t>(state_.active_slot)].version > state_.version_floor) {
    return fail("the active version is above the anti-rollback floor");
  }
  const auto head = LINNET_TRY(file_size(path(kHeadFile)));
  const auto incoming = LINNET_TRY(file_size(path(kIncomingFile)));
  if (state_.phase == Phase::kReceiving) {
    if (state_.target_slot == kNoSlot || state_.target_slot == state_.active_slot) {
      return fail("the open transfer targets the active slot or none");
    }
    if (!head || !incoming) return fail("the open transfer lacks incoming.head or incoming.bundle");
    if (*incoming != state_.received) {
      return fail("incoming.bundle holds " + std::to_string(*incoming) + " bytes, " +
                  std::to_string(state_.received) + " acknowledged");
    }
    auto manifest = open_transfer_manifest();
    if (!manifest.ok()) return fail("the open transfer's head: " + manifest.error().message());
  } else {
    if (head || incoming) return fail("incoming files without an open transfer");
    if (state_.target_slot != kNoSlot || state_.received != 0 || !is_zero(state_.transfer_manifest_sha256)) {
      return fail("transfer fields set without an open transfer");
    }
  }
  for (const char* tmp : {"state.tmp", "state.copy.tmp", "incoming.head.tmp", "slot-a.head.tmp", "slot-b.head.tmp"}) {
    if (LINNET_TRY(file_size(path(tmp)))) return fail(std::string(tmp) + " left behind");
  }
  return ok_status();
}

}  // namespace linnet::ota
