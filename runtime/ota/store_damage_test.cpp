// The store survives damage to its own files (issue: "fail closed, never lose the
// store"): a lost or damaged state record copy, both copies lost, a slot whose signed
// head is missing or forged, and a file system that went read-only. In every case no
// slot that verifies is deleted and the anti-rollback floor never falls.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "runtime/ota/ota_agent.h"
#include "runtime/ota/testing/agent_fixture.h"

namespace linnet::ota {
namespace {

using testing_support::make_bundle;
using testing_support::OtaAgentTest;

class StoreDamageTest : public OtaAgentTest {
 protected:
  std::string store() const { return dir_ + "/store"; }
  std::string file(const std::string& name) const { return store() + "/" + name; }

  // v1 in slot a, v2 in slot b (active), floor 2; the agent is closed afterwards.
  void install_v1_v2() {
    OtaAgent agent = open_agent();
    install_ok(agent, 1);
    install_ok(agent, 2);
    ASSERT_EQ(agent.state().active_slot, 1);
  }

  void flip_bit(const std::string& path, std::size_t byte, int bit) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(byte));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ (1 << bit));
    f.seekp(static_cast<std::streamoff>(byte));
    f.write(&c, 1);
  }

  std::uintmax_t size_of(const std::string& path) const { return std::filesystem::file_size(path); }

  // After damage the store still holds both models, v2 active, floor 2; replays of v1
  // and v2 are refused and v3 installs.
  void expect_store_intact(OtaAgent& agent) {
    ASSERT_TRUE(std::filesystem::exists(agent.slot_path(0)));
    ASSERT_TRUE(std::filesystem::exists(agent.slot_path(1)));
    expect_active(agent, 2);
    EXPECT_EQ(agent.state().version_floor, 2u);
    EXPECT_EQ(agent.state().slots[0].status, SlotStatus::kGood);
    EXPECT_EQ(agent.state().slots[0].version, 1u);
    for (std::uint64_t v : {std::uint64_t{1}, std::uint64_t{2}}) {
      auto r = agent.install_file(write(make_update(v, make_bundle(static_cast<std::uint32_t>(v + 10), 4000)), "old.lnu"));
      ASSERT_FALSE(r.ok()) << "version " << v << " was accepted";
      EXPECT_NE(r.error().message().find("anti-rollback"), std::string::npos) << r.error().message();
    }
    install_ok(agent, 3);
  }
};

TEST_F(StoreDamageTest, AMissingRecordIsRestoredFromItsCopy) {
  install_v1_v2();
  std::filesystem::remove(file("state"));
  std::vector<std::string> logged;
  AgentOptions o = options();
  o.log = [&](std::string_view m) { logged.emplace_back(m); };
  auto agent = open_agent(std::move(o));
  ASSERT_TRUE(agent.ok()) << agent.error().message();
  EXPECT_TRUE(agent->writable());
  EXPECT_NE(agent->health().note.find("state is missing"), std::string::npos) << agent->health().note;
  EXPECT_NE(agent->state().last_error.find("repaired"), std::string::npos) << agent->state().last_error;
  ASSERT_FALSE(logged.empty());
  EXPECT_NE(logged[0].find("state is missing"), std::string::npos) << logged[0];
  EXPECT_TRUE(std::filesystem::exists(file("state")));  // rewritten
  expect_store_intact(*agent);
}

TEST_F(StoreDamageTest, AnyBitFlipOrAnEmptiedCopyIsRepaired) {
  install_v1_v2();
  for (const char* name : {"state", "state.copy"}) {
    // (each repair rewrites the record, with a longer last_error: re-read its size)
    for (std::size_t byte = 0; byte < size_of(file(name)); byte += 7) {
      flip_bit(file(name), byte, static_cast<int>(byte % 8));
      auto agent = open_agent(options());
      ASSERT_TRUE(agent.ok()) << name << " byte " << byte << ": " << agent.error().message();
      ASSERT_NE(agent->health().note.find("repaired"), std::string::npos) << name << " byte " << byte;
      expect_active(*agent, 2);
      EXPECT_EQ(agent->state().version_floor, 2u);
    }
    std::ofstream(file(name), std::ios::trunc | std::ios::binary);  // emptied
    auto agent = open_agent(options());
    ASSERT_TRUE(agent.ok()) << agent.error().message();
    expect_active(*agent, 2);
  }
  auto agent = open_agent();
  EXPECT_TRUE(agent.health().note.empty()) << agent.health().note;  // both copies good again
  expect_store_intact(agent);
}

TEST_F(StoreDamageTest, OtaStatusReportsADamagedCopyWithoutTheLock) {
  install_v1_v2();
  flip_bit(file("state.copy"), 20, 3);
  auto report = OtaAgent::inspect(store());
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->health.access, StoreAccess::kWritable);
  EXPECT_NE(report->health.note.find("state.copy"), std::string::npos) << report->health.note;
  EXPECT_EQ(report->state.active_slot, 1);
  EXPECT_EQ(report->state.version_floor, 2u);
}

TEST_F(StoreDamageTest, BothCopiesLostAreRebuiltFromTheSlotsSignedHeads) {
  install_v1_v2();
  std::filesystem::remove(file("state"));
  std::filesystem::remove(file("state.copy"));
  auto report = OtaAgent::inspect(store());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->health.access, StoreAccess::kDegraded);  // until an agent opens it
  EXPECT_NE(report->health.note.find("rebuilds"), std::string::npos) << report->health.note;

  auto agent = open_agent(options());
  ASSERT_TRUE(agent.ok()) << agent.error().message();
  EXPECT_TRUE(agent->writable());
  EXPECT_NE(agent->health().note.find("rebuilt from the slots' signed manifests"), std::string::npos)
      << agent->health().note;
  EXPECT_NE(agent->state().last_error.find("anti-rollback floor 2"), std::string::npos) << agent->state().last_error;
  EXPECT_TRUE(agent->check_consistency().ok()) << agent->check_consistency().error().message();
  expect_store_intact(*agent);
}

TEST_F(StoreDamageTest, ARecordThatCannotBeRebuiltLeavesTheStoreUntouched) {
  install_v1_v2();
  for (const char* name : {"state", "state.copy", "slot-a.head"}) std::filesystem::remove(file(name));
  std::vector<std::string> before;
  for (const auto& e : std::filesystem::directory_iterator(store())) before.push_back(e.path().filename().string());
  std::sort(before.begin(), before.end());

  auto agent = open_agent(options());
  ASSERT_TRUE(agent.ok()) << agent.error().message();
  EXPECT_EQ(agent->health().access, StoreAccess::kDegraded);
  EXPECT_NE(agent->health().note.find("slot a"), std::string::npos) << agent->health().note;
  // The slot that still verifies (b, v2, with its signed head) serves.
  auto active = agent->ensure_active_loads();
  ASSERT_TRUE(active.ok()) << active.error().message();
  EXPECT_EQ(active->slot, 1);
  EXPECT_EQ(active->version, 2u);
  // No update, not even a newer one, until the record is restored: nothing is written.
  auto r = agent->install_file(write(make_update(3, make_bundle(3, 4000)), "v3.lnu"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("refused"), std::string::npos) << r.error().message();
  EXPECT_FALSE(agent->rollback().ok());

  std::vector<std::string> after;
  for (const auto& e : std::filesystem::directory_iterator(store())) after.push_back(e.path().filename().string());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(before, after);
}

TEST_F(StoreDamageTest, AForgedSlotHeadIsNotTrustedAndRaisesNothing) {
  install_v1_v2();
  // A head for version 99 signed by another key, put beside slot a: it must neither
  // make slot a active nor raise (or lower) anything.
  auto other = sign::generate_key_pair();
  auto other_key = sign::SigningKey::from_pem(other->private_pem);
  const auto forged = make_update(99, make_bundle(1, 10001), std::nullopt, &*other_key);
  const std::size_t head_size = split_head(forged)->header.head_size();
  write(std::vector<std::uint8_t>(forged.begin(), forged.begin() + static_cast<std::ptrdiff_t>(head_size)),
        "store/slot-a.head");
  std::filesystem::remove(file("state"));
  std::filesystem::remove(file("state.copy"));
  auto agent = open_agent(options());
  ASSERT_TRUE(agent.ok()) << agent.error().message();
  EXPECT_EQ(agent->health().access, StoreAccess::kDegraded);
  auto active = agent->ensure_active_loads();
  ASSERT_TRUE(active.ok()) << active.error().message();
  EXPECT_EQ(active->version, 2u);
  EXPECT_TRUE(std::filesystem::exists(agent->slot_path(0)));
}

TEST_F(StoreDamageTest, AReadOnlyStoreServesRefusesUpdatesAndRecoversWhenWritable) {
  install_v1_v2();
  const std::string update = write(make_update(3, make_bundle(3, 4000)), "v3.lnu");
  // The child makes the store read-only in a mount namespace of its own (a bind mount
  // remounted read-only: what ext4 does to an SD card after an error).
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto check = [](bool ok, int code, const std::string& what) {
      if (!ok) {
        std::fprintf(stderr, "read-only store: %s\n", what.c_str());
        std::fflush(stderr);
        ::_exit(code);
      }
    };
    // "/" private first, so that nothing done here reaches the parent's namespace (in a
    // chroot "/" may be no mount point: EINVAL, and then nothing is shared anyway).
    if (::unshare(CLONE_NEWNS) != 0 ||
        (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 && errno != EINVAL) ||
        ::mount(store().c_str(), store().c_str(), nullptr, MS_BIND, nullptr) != 0 ||
        ::mount("none", store().c_str(), nullptr, MS_PRIVATE, nullptr) != 0 ||
        ::mount(nullptr, store().c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
      std::fprintf(stderr, "cannot make a read-only mount here: %s\n", std::strerror(errno));
      ::_exit(77);
    }
    auto report = OtaAgent::inspect(store());
    check(report.ok() && report->health.access == StoreAccess::kReadOnly, 10, "inspect does not say read-only");
    auto agent = open_agent(options());
    check(agent.ok(), 11, agent.ok() ? "" : agent.error().message());
    check(agent->health().access == StoreAccess::kReadOnly, 12, "open does not say read-only");
    auto active = agent->ensure_active_loads();
    check(active.ok() && active->version == 2, 13, "the active model does not serve");
    auto r = agent->install_file(update);
    check(!r.ok() && r.error().message().find("read-only") != std::string::npos, 14,
          r.ok() ? "installed" : r.error().message());
    check(!agent->rollback().ok(), 15, "rolled back");
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "no permission for a read-only bind mount here";
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the read-only check failed (code " << WEXITSTATUS(status) << ")";
  // Writable again (the child's mount namespace is gone): updates are taken.
  OtaAgent agent = open_agent();
  EXPECT_TRUE(agent.writable());
  expect_active(agent, 2);
  auto r = agent.install_file(update);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->version, 3u);
}

}  // namespace
}  // namespace linnet::ota
