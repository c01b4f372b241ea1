// The OTA store's state record: which slot is active, what each slot holds, the
// transfer in progress and the anti-rollback floor. Written only through
// write_file_atomically (so it is always the old or the new record, never a mix)
// and self-checked with a SHA-256 trailer. Fixed little-endian binary layout:
//
//   "LNST" u32 format(1) u64 generation u8 phase i8 active i8 target u8 zero
//   u64 version_floor u64 received [32] transfer_manifest_sha256
//   2 x slot { u8 status u64 version u64 bundle_size [32] bundle_sha256 str name }
//   str last_error                 (str = u16 length + bytes)
//   [32] SHA-256 of everything above
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/core/result.h"
#include "runtime/core/sha256.h"

namespace linnet::ota {

inline constexpr int kSlotCount = 2;
inline constexpr int kNoSlot = -1;
inline constexpr std::size_t kMaxStateBytes = 8192;
inline constexpr std::size_t kMaxLastErrorBytes = 1024;

// idle -> receiving -> verifying -> trial -> committed | rolled back
enum class Phase : std::uint8_t {
  kIdle = 0,        // nothing has happened yet
  kReceiving = 1,   // a transfer is open; `received` bundle bytes are durable
  kVerifying = 2,   // all bytes received; checking the SHA-256, moving into the slot
  kTrial = 3,       // the new bundle is in its slot, being loaded and self-tested
  kCommitted = 4,   // the last update became active
  kRolledBack = 5,  // the last update (or the active model) was abandoned
};

enum class SlotStatus : std::uint8_t {
  kEmpty = 0,
  kReceiving = 1,  // the target of the open transfer (its bundle is in incoming.bundle)
  kTrial = 2,      // holds the new bundle; not trusted until its trial passes
  kGood = 3,       // passed a trial; may be active or the rollback target
};

struct SlotRecord {
  SlotStatus status = SlotStatus::kEmpty;
  std::string model_name;
  std::uint64_t version = 0;
  std::uint64_t bundle_size = 0;
  Sha256Digest bundle_sha256{};

  bool operator==(const SlotRecord&) const = default;
};

struct StoreState {
  std::uint64_t generation = 0;  // +1 on every write
  Phase phase = Phase::kIdle;
  int active_slot = kNoSlot;
  int target_slot = kNoSlot;     // the slot the open transfer goes to
  std::uint64_t version_floor = 0;  // highest version ever committed: anti-rollback
  std::uint64_t received = 0;       // durable bundle bytes of the open transfer
  Sha256Digest transfer_manifest_sha256{};  // identifies the open transfer (for resume)
  std::array<SlotRecord, kSlotCount> slots;
  std::string last_error;

  bool operator==(const StoreState&) const = default;
};

std::vector<std::uint8_t> encode_state(const StoreState& state);
Result<StoreState> decode_state(std::span<const std::uint8_t> bytes);

std::string_view phase_name(Phase phase);
std::string_view slot_status_name(SlotStatus status);
// "a" or "b".
std::string_view slot_name(int slot);

}  // namespace linnet::ota
