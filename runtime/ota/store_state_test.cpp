#include "runtime/ota/store_state.h"

#include <gtest/gtest.h>

namespace linnet::ota {
namespace {

StoreState sample_state() {
  StoreState s;
  s.generation = 41;
  s.phase = Phase::kReceiving;
  s.active_slot = 0;
  s.target_slot = 1;
  s.version_floor = 3;
  s.received = 65536;
  s.transfer_manifest_sha256.fill(7);
  s.slots[0] = SlotRecord{SlotStatus::kGood, "router", 3, 1000, {}};
  s.slots[0].bundle_sha256.fill(1);
  s.slots[1] = SlotRecord{SlotStatus::kReceiving, "router", 4, 2000, {}};
  s.slots[1].bundle_sha256.fill(2);
  s.last_error = "update refused: version 2 is not above the installed version 3 (anti-rollback)";
  return s;
}

TEST(StoreStateTest, RoundTrips) {
  const StoreState s = sample_state();
  auto back = decode_state(encode_state(s));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, s);
}

TEST(StoreStateTest, EveryBitFlipIsDetected) {
  const auto bytes = encode_state(sample_state());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto bad = bytes;
      bad[i] ^= static_cast<std::uint8_t>(1u << bit);
      EXPECT_FALSE(decode_state(bad).ok()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(StoreStateTest, TruncationIsDetected) {
  const auto bytes = encode_state(sample_state());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decode_state(std::span(bytes).first(n)).ok()) << n;
  }
}

}  // namespace
}  // namespace linnet::ota
