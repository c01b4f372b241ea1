#include "runtime/ota/store_state.h"

#include <cstring>

namespace linnet::ota {
namespace {

constexpr std::uint8_t kMagic[4] = {'L', 'N', 'S', 'T'};
constexpr std::uint32_t kStateFormat = 1;

class Writer {
 public:
  void bytes(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { le(v, 2); }
  void u32(std::uint32_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void str(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    bytes(s.data(), s.size());
  }
  std::vector<std::uint8_t>& out() { return out_; }

 private:
  void le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t> out_;
};

// Bounds-checked reader: after any overrun `ok()` is false and reads return 0.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> b) : b_(b) {}
  bool take(void* dst, std::size_t n) {
    if (!ok_ || b_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    std::memcpy(dst, b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  std::uint64_t le(int n) {
    std::uint8_t buf[8] = {};
    if (!take(buf, static_cast<std::size_t>(n))) return 0;
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | buf[i];
    return v;
  }
  std::uint8_t u8() { return static_cast<std::uint8_t>(le(1)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(le(4)); }
  std::uint64_t u64() { return le(8); }
  std::string str() {
    const auto n = static_cast<std::size_t>(le(2));
    std::string s(n, '\0');
    if (n > 0 && !take(s.data(), n)) return {};
    return s;
  }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == b_.size(); }

 private:
  std::span<const std::uint8_t> b_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

Error corrupt(std::string message) {
  return Error(ErrorCode::kCorrupt, "store state: " + std::move(message));
}

bool valid_slot_index(int s, bool allow_none) {
  return (allow_none && s == kNoSlot) || (s >= 0 && s < kSlotCount);
}

}  // namespace

std::vector<std::uint8_t> encode_state(const StoreState& s) {
  Writer w;
  w.bytes(kMagic, 4);
  w.u32(kStateFormat);
  w.u64(s.generation);
  w.u8(static_cast<std::uint8_t>(s.phase));
  w.u8(static_cast<std::uint8_t>(static_cast<std::int8_t>(s.active_slot)));
  w.u8(static_cast<std::uint8_t>(static_cast<std::int8_t>(s.target_slot)));
  w.u8(0);
  w.u64(s.version_floor);
  w.u64(s.received);
  w.bytes(s.transfer_manifest_sha256.data(), 32);
  for (const SlotRecord& slot : s.slots) {
    w.u8(static_cast<std::uint8_t>(slot.status));
    w.u64(slot.version);
    w.u64(slot.bundle_size);
    w.bytes(slot.bundle_sha256.data(), 32);
    w.str(std::string_view(slot.model_name).substr(0, 255));
  }
  w.str(std::string_view(s.last_error).substr(0, kMaxLastErrorBytes));
  const Sha256Digest sum = Sha256::of(w.out());
  w.bytes(sum.data(), sum.size());
  return std::move(w.out());
}

Result<StoreState> decode_state(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 4 + 32 || bytes.size() > kMaxStateBytes) {
    return corrupt(std::to_string(bytes.size()) + " bytes is not a plausible size");
  }
  const auto body = bytes.first(bytes.size() - 32);
  const Sha256Digest sum = Sha256::of(body);
  if (std::memcmp(sum.data(), bytes.data() + body.size(), 32) != 0) {
    return corrupt("checksum mismatch (the record is damaged)");
  }
  Reader r(body);
  std::uint8_t magic[4] = {};
  r.take(magic, 4);
  if (std::memcmp(magic, kMagic, 4) != 0) return corrupt("no \"LNST\" magic");
  if (r.u32() != kStateFormat) return corrupt("unknown format version");
  StoreState s;
  s.generation = r.u64();
  const std::uint8_t phase = r.u8();
  s.active_slot = static_cast<std::int8_t>(r.u8());
  s.target_slot = static_cast<std::int8_t>(r.u8());
  if (r.u8() != 0) return corrupt("reserved byte set");
  s.version_floor = r.u64();
  s.received = r.u64();
  r.take(s.transfer_manifest_sha256.data(), 32);
  for (SlotRecord& slot : s.slots) {
    const std::uint8_t status = r.u8();
    if (status > static_cast<std::uint8_t>(SlotStatus::kGood)) return corrupt("bad slot status");
    slot.status = static_cast<SlotStatus>(status);
    slot.version = r.u64();
    slot.bundle_size = r.u64();
    r.take(slot.bundle_sha256.data(), 32);
    slot.model_name = r.str();
    if (slot.model_name.size() > 255) return corrupt("model name too long");
  }
  s.last_error = r.str();
  if (s.last_error.size() > kMaxLastErrorBytes) return corrupt("last error too long");
  if (!r.ok() || !r.at_end()) return corrupt("truncated or over-long record");
  if (phase > static_cast<std::uint8_t>(Phase::kRolledBack)) return corrupt("bad phase");
  s.phase = static_cast<Phase>(phase);
  if (!valid_slot_index(s.active_slot, true) || !valid_slot_index(s.target_slot, true)) {
    return corrupt("bad slot index");
  }
  if (s.active_slot != kNoSlot && s.slots[static_cast<std::size_t>(s.active_slot)].status != SlotStatus::kGood) {
    return corrupt("the active slot is not marked good");
  }
  return s;
}

std::string_view phase_name(Phase phase) {
  switch (phase) {
    case Phase::kIdle: return "idle";
    case Phase::kReceiving: return "receiving";
    case Phase::kVerifying: return "verifying";
    case Phase::kTrial: return "trial";
    case Phase::kCommitted: return "committed";
    case Phase::kRolledBack: return "rolled back";
  }
  return "unknown";
}

std::string_view slot_status_name(SlotStatus status) {
  switch (status) {
    case SlotStatus::kEmpty: return "empty";
    case SlotStatus::kReceiving: return "receiving";
    case SlotStatus::kTrial: return "trial";
    case SlotStatus::kGood: return "good";
  }
  return "unknown";
}

std::string_view slot_name(int slot) { return slot == 0 ? "a" : slot == 1 ? "b" : "none"; }

}  // namespace linnet::ota
