// The agent against fake bundles (the trial loader is a stand-in that checks a magic
// prefix); tests/faults/ runs the same agent on real bundles with crashes injected.
#include "runtime/ota/ota_agent.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "converter/sign/signing_key.h"
#include "converter/sign/update_writer.h"
#include "runtime/ota/durable_file.h"
#include "runtime/ota/testing/agent_fixture.h"

namespace linnet::ota {
namespace {

using testing_support::fake_trial_loader;
using testing_support::kFakeMagic;
using testing_support::make_bundle;
using testing_support::OtaAgentTest;

TEST_F(OtaAgentTest, InstallsUpdatesAndRollsBack) {
  OtaAgent agent = open_agent();
  EXPECT_FALSE(agent.active().has_value());
  install_ok(agent, 1);
  EXPECT_EQ(agent.active()->slot, 0);
  install_ok(agent, 2);
  EXPECT_EQ(agent.active()->slot, 1);
  EXPECT_EQ(agent.state().phase, Phase::kCommitted);
  EXPECT_EQ(agent.state().slots[0].status, SlotStatus::kGood);

  auto back = agent.rollback();
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back->version, 1u);
  expect_active(agent, 1);
  EXPECT_EQ(agent.state().version_floor, 2u);

  // The state survives a restart.
  { OtaAgent closed = std::move(agent); }
  agent = open_agent();
  expect_active(agent, 1);
  // Anti-rollback: 2 was committed once, so only 3 and above install now.
  auto replay = agent.install_file(write(make_update(2, make_bundle(2, 10002)), "u2.lnu"));
  ASSERT_FALSE(replay.ok());
  EXPECT_NE(replay.error().message().find("anti-rollback"), std::string::npos);
  install_ok(agent, 3);
  EXPECT_EQ(agent.active()->slot, 1);  // replaced v2, kept v1 as the rollback target
  EXPECT_EQ(agent.state().slots[0].version, 1u);
}

TEST_F(OtaAgentTest, ChunkedTransferResumesAfterRestart) {
  const auto bundle = make_bundle(5, 20000);
  const auto update = make_update(1, bundle);
  const auto head = split_head(update).value();
  const std::size_t h = head.header.head_size();
  {
    OtaAgent agent = open_agent();
    auto p = agent.begin(update);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_FALSE(p->resumed);
    for (std::uint64_t off = 0; off < 9000; off += 3000) {
      auto c = agent.write_chunk(off, std::span(update).subspan(h + off, 3000));
      ASSERT_TRUE(c.ok()) << c.error().message();
    }
    EXPECT_TRUE(agent.check_consistency().ok());
  }  // "disconnect"
  OtaAgent agent = open_agent();
  EXPECT_EQ(agent.state().phase, Phase::kReceiving);
  auto p = agent.begin(std::span(update).first(h));
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_TRUE(p->resumed);
  EXPECT_EQ(p->received, 9000u);

  // A chunk beyond the acknowledged offset is refused; a resent one is accepted.
  auto gap = agent.write_chunk(10000, std::span(update).subspan(h + 10000, 100));
  ASSERT_FALSE(gap.ok());
  EXPECT_NE(gap.error().message().find("resend from there"), std::string::npos);
  auto dup = agent.write_chunk(3000, std::span(update).subspan(h + 3000, 3000));
  ASSERT_TRUE(dup.ok());
  EXPECT_EQ(dup->received, 9000u);
  // Overlapping the acknowledged end: only the new bytes are written.
  auto overlap = agent.write_chunk(8000, std::span(update).subspan(h + 8000, 4000));
  ASSERT_TRUE(overlap.ok());
  EXPECT_EQ(overlap->received, 12000u);

  auto early = agent.commit();
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.error().message().find("incomplete"), std::string::npos);
  for (std::uint64_t off = 12000; off < bundle.size(); off += 4000) {
    const auto n = std::min<std::uint64_t>(4000, bundle.size() - off);
    ASSERT_TRUE(agent.write_chunk(off, std::span(update).subspan(h + off, n)).ok());
  }
  auto done = agent.commit();
  ASSERT_TRUE(done.ok()) << done.error().message();
  EXPECT_EQ(done->version, 1u);
  auto stored = read_small_file(done->bundle_path, 1 << 20);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, bundle);
  EXPECT_TRUE(agent.check_consistency().ok());
}

// ---- hostile updates: each is refused with a clear message, the old model stays.

TEST_F(OtaAgentTest, RefusesWrongKey) {
  OtaAgent agent = open_agent();
  install_ok(agent, 1);
  auto other = sign::generate_key_pair();
  auto other_key = sign::SigningKey::from_pem(other->private_pem);
  auto r = agent.install_file(write(make_update(2, make_bundle(2, 5000), std::nullopt, &*other_key), "x.lnu"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kVerification);
  EXPECT_NE(r.error().message().find("wrong key"), std::string::npos) << r.error().message();
  EXPECT_EQ(agent.state().last_error, r.error().message());
  expect_active(agent, 1);
}

TEST_F(OtaAgentTest, RefusesEveryBitFlipInTheHead) {
  OtaAgent agent = open_agent();
  install_ok(agent, 1);
  const auto update = make_update(2, make_bundle(2, 3000));
  const std::size_t h = split_head(update)->header.head_size();
  int refused = 0;
  for (std::size_t i = 0; i < h; ++i) {
    auto bad = update;
    bad[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
    auto r = agent.begin(bad);
    EXPECT_FALSE(r.ok()) << "flip at byte " << i << " was accepted";
    refused += r.ok() ? 0 : 1;
  }
  EXPECT_EQ(refused, static_cast<int>(h));
  expect_active(agent, 1);
}

TEST_F(OtaAgentTest, RefusesBitFlipsInTheBundle) {
  OtaAgent agent = open_agent();
  install_ok(agent, 1);
  const auto update = make_update(2, make_bundle(2, 3000));
  const std::size_t h = split_head(update)->header.head_size();
  for (std::size_t pos : {h, h + 1, h + 1500, update.size() - 1}) {
    auto bad = update;
    bad[pos] ^= 0x10;
    auto r = agent.install_file(write(bad, "flip.lnu"));
    ASSERT_FALSE(r.ok()) << pos;
    EXPECT_EQ(r.error().code(), ErrorCode::kVerification);
    EXPECT_NE(r.error().message().find("SHA-256"), std::string::npos) << r.error().message();
    EXPECT_EQ(agent.state().phase, Phase::kRolledBack);
    expect_active(agent, 1);
  }
}

TEST_F(OtaAgentTest, RefusesTruncation) {
  OtaAgent agent = open_agent();
  install_ok(agent, 1);
  const auto update = make_update(2, make_bundle(2, 3000));
  const std::size_t h = split_head(update)->header.head_size();
  for (std::size_t n : {std::size_t{0}, std::size_t{10}, std::size_t{40}, h - 1, h, h + 1, update.size() - 1}) {
    auto cut = std::vector<std::uint8_t>(update.begin(), update.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = agent.install_file(write(cut, "cut.lnu"));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_TRUE(r.error().message().find("truncated") != std::string::npos ||
                r.error().message().find("shorter") != std::string::npos)
        << r.error().message();
    expect_active(agent, 1);
  }
}

TEST_F(OtaAgentTest, RefusesReplayedOlderVersion) {
  OtaAgent agent = open_agent();
  install_ok(agent, 1);
  const auto v1 = make_update(1, make_bundle(1, 10001));
  install_ok(agent, 2);
  for (std::uint64_t v : {std::uint64_t{1}, std::uint64_t{2}}) {
    auto r = agent.install_file(write(v == 1 ? v1 : make_update(2, make_bundle(9, 999)), "old.lnu"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), "update refused: version " + std::to_string(v) +
                                       " is not above the installed version 2 (anti-rollback)");
    expect_active(agent, 2);
  }
}

TEST_F(OtaAgentTest, RefusesAManifestNamingAnotherBundle) {
  OtaAgent agent = open_agent();
  install_ok(agent, 1);
  const auto a = make_update(2, make_bundle(2, 3000));
  const auto b = make_bundle(3, 3000);  // same size, other bytes
  const std::size_t h = split_head(a)->header.head_size();
  auto spliced = std::vector<std::uint8_t>(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(h));
  spliced.insert(spliced.end(), b.begin(), b.end());
  auto r = agent.install_file(write(spliced, "spliced.lnu"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("belongs to another manifest"), std::string::npos) << r.error().message();
  expect_active(agent, 1);

  // The head of one update in front of a bundle of another size.
  auto longer = std::vector<std::uint8_t>(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(h));
  const auto c = make_bundle(4, 5000);
  longer.insert(longer.end(), c.begin(), c.end());
  r = agent.install_file(write(longer, "longer.lnu"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("header frames"), std::string::npos) << r.error().message();
  expect_active(agent, 1);
}

TEST_F(OtaAgentTest, RefusesOversizedChunkAndKeepsTheTransfer) {
  OtaAgent agent = open_agent();
  install_ok(agent, 1);
  const auto update = make_update(2, make_bundle(2, 10000));
  const std::size_t h = split_head(update)->header.head_size();
  ASSERT_TRUE(agent.begin(update).ok());
  auto r = agent.write_chunk(0, std::span(update).subspan(h, 4097));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "chunk refused: 4097 bytes, more than the maximum of 4096");
  EXPECT_EQ(agent.state().received, 0u);
  // A chunk that would run past the end of the bundle is refused too.
  ASSERT_TRUE(agent.write_chunk(0, std::span(update).subspan(h, 4000)).ok());
  ASSERT_TRUE(agent.write_chunk(4000, std::span(update).subspan(h + 4000, 4000)).ok());
  const std::vector<std::uint8_t> too_long(2001, 0);
  auto past = agent.write_chunk(8000, too_long);
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.error().message().find("beyond the bundle's 10000 bytes"), std::string::npos)
      << past.error().message();
  expect_active(agent, 1);
  // The transfer is still open and completes.
  ASSERT_TRUE(agent.write_chunk(8000, std::span(update).subspan(h + 8000, 2000)).ok());
  auto c = agent.commit();
  ASSERT_TRUE(c.ok()) << c.error().message();
  expect_active(agent, 2);
}

TEST_F(OtaAgentTest, RefusesAPathInTheName) {
  OtaAgent agent = open_agent();
  install_ok(agent, 1);
  // Sign a manifest the signing tool would refuse to make.
  const auto bundle = make_bundle(2, 3000);
  for (const char* name : {"../../etc/passwd", "slot-a/../x", "/abs"}) {
    Manifest m;
    m.model_name = name;
    m.version = 2;
    m.bundle_size = bundle.size();
    m.bundle_sha256 = Sha256::of(bundle);
    const auto manifest = encode_manifest(m);
    const auto sig = signer_->sign(Sha256::of(manifest)).value();
    const auto header = encode_header(UpdateHeader{static_cast<std::uint32_t>(manifest.size()),
                                                   static_cast<std::uint32_t>(sig.size()), bundle.size()});
    std::vector<std::uint8_t> u(header.begin(), header.end());
    u.insert(u.end(), manifest.begin(), manifest.end());
    u.insert(u.end(), sig.begin(), sig.end());
    u.insert(u.end(), bundle.begin(), bundle.end());
    auto r = agent.install_file(write(u, "name.lnu"));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("path separator"), std::string::npos) << r.error().message();
    expect_active(agent, 1);
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/store")) {
    const std::string f = entry.path().filename().string();
    EXPECT_TRUE(f == "state" || f == "state.copy" || f == "lock" || f.rfind("slot-", 0) == 0) << f;
  }
}

TEST_F(OtaAgentTest, RefusesWhenSpaceIsShort) {
  AgentOptions o = options();
  o.space_probe = [](const std::string&) -> Result<std::uint64_t> { return std::uint64_t{1000}; };
  o.space_margin_bytes = 0;
  auto agent = open_agent(std::move(o));
  ASSERT_TRUE(agent.ok());
  auto r = agent->install_file(write(make_update(1, make_bundle(1, 5000)), "big.lnu"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kNoSpace);
  EXPECT_NE(r.error().message().find("only 1000 are available"), std::string::npos) << r.error().message();
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/store/incoming.bundle"));
}

TEST_F(OtaAgentTest, RefusesNewerRuntime) {
  OtaAgent agent = open_agent();
  sign::UpdateSpec spec;
  spec.model_name = "router";
  spec.version = 1;
  spec.min_runtime = {999, 0, 0};
  auto u = sign::build_update(make_bundle(1, 3000), spec, *signer_);
  auto r = agent.install_file(write(*u, "new.lnu"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("needs runtime 999.0.0"), std::string::npos) << r.error().message();
}

TEST_F(OtaAgentTest, SelfTestDecides) {
  OtaAgent agent = open_agent();
  install_ok(agent, 1);
  auto failed = agent.install_file(write(make_update(2, make_bundle(2, 3000), SelfTest{"hi", "spam", {}, ""}), "f.lnu"));
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message().find("self-test of router v2"), std::string::npos) << failed.error().message();
  EXPECT_EQ(self_tests_run_, 1);
  expect_active(agent, 1);
  EXPECT_EQ(agent.state().phase, Phase::kRolledBack);
  EXPECT_EQ(agent.state().version_floor, 1u);  // a failed version may be fixed and resent

  auto passed = agent.install_file(write(make_update(2, make_bundle(2, 3000), SelfTest{"hi", "pass", {}, ""}), "p.lnu"));
  ASSERT_TRUE(passed.ok()) << passed.error().message();
  expect_active(agent, 2);

}

TEST_F(OtaAgentTest, TrialLoadFailureKeepsTheOldModel) {
  OtaAgent agent = open_agent();
  install_ok(agent, 1);
  auto bundle = make_bundle(2, 3000);
  bundle[0] = 'X';  // signed correctly, but not a loadable bundle
  auto r = agent.install_file(write(make_update(2, bundle), "bad.lnu"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("trial load of router v2"), std::string::npos) << r.error().message();
  expect_active(agent, 1);
}

TEST_F(OtaAgentTest, FallsBackWhenTheActiveBundleIsDamaged) {
  OtaAgent agent = open_agent();
  install_ok(agent, 1);
  install_ok(agent, 2);
  {
    std::fstream f(agent.slot_path(1), std::ios::in | std::ios::out | std::ios::binary);
    f.write("XXXXXXXX", 8);  // damage the active bundle (slot b)
  }
  auto active = agent.ensure_active_loads();
  ASSERT_TRUE(active.ok()) << active.error().message();
  EXPECT_EQ(active->version, 1u);
  EXPECT_NE(agent.state().last_error.find("does not load"), std::string::npos);
  EXPECT_TRUE(agent.check_consistency().ok()) << agent.check_consistency().error().message();
}

TEST_F(OtaAgentTest, ReleasingASlotRemovesFilesDerivedFromIt) {
  OtaAgent agent = open_agent();
  install_ok(agent, 1);
  install_ok(agent, 2);  // active b; a holds v1
  const std::string store = dir_ + "/store";
  write(std::vector<std::uint8_t>(100, 1), "store/slot-a.linnet.xnnpack");
  write(std::vector<std::uint8_t>(100, 2), "store/slot-b.linnet.xnnpack");
  install_ok(agent, 3);  // goes to slot a: its bundle and its cache are released
  EXPECT_FALSE(std::filesystem::exists(store + "/slot-a.linnet.xnnpack"));
  EXPECT_TRUE(std::filesystem::exists(store + "/slot-b.linnet.xnnpack"));
}

TEST_F(OtaAgentTest, StoreIsLockedByOneAgent) {
  OtaAgent agent = open_agent();
  auto second = open_agent(options());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message().find("in use by another"), std::string::npos);
}

TEST_F(OtaAgentTest, RefusesSelfTestWithoutRunner) {
  AgentOptions o = options();
  o.self_test = nullptr;
  auto agent = open_agent(std::move(o));
  ASSERT_TRUE(agent.ok());
  auto r = agent->install_file(write(make_update(1, make_bundle(1, 3000), SelfTest{"hi", "pass", {}, ""}), "s.lnu"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("no self-test runner"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace linnet::ota
