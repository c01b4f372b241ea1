// The OTA agent test fixture: a store in a temporary directory, a fresh signing key,
// fake bundles (a magic prefix and random bytes) and a fake trial loader that checks
// the prefix. Shared by ota_agent_test.cpp and store_damage_test.cpp.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "converter/sign/signing_key.h"
#include "converter/sign/update_writer.h"
#include "runtime/ota/durable_file.h"
#include "runtime/ota/ota_agent.h"

namespace linnet::ota::testing_support {

inline constexpr char kFakeMagic[] = "FAKEBNDL";

inline Result<std::string> fake_trial_loader(const std::string& path) {
  auto bytes = read_small_file(path, 1 << 24);
  if (!bytes.ok()) return std::move(bytes).error();
  if (bytes->size() < 8 || std::memcmp(bytes->data(), kFakeMagic, 8) != 0) {
    return Error(ErrorCode::kCorrupt, "not a bundle (fake loader)");
  }
  return to_hex(Sha256::of(*bytes));
}

inline std::vector<std::uint8_t> make_bundle(std::uint32_t seed, std::size_t size) {
  std::vector<std::uint8_t> b(size);
  std::mt19937 rng(seed);
  for (auto& x : b) x = static_cast<std::uint8_t>(rng());
  std::memcpy(b.data(), kFakeMagic, 8);
  return b;
}

class OtaAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/linnet_ota_agent_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto keys = sign::generate_key_pair();
    ASSERT_TRUE(keys.ok());
    public_pem_ = keys->public_pem;
    signer_.emplace(std::move(sign::SigningKey::from_pem(keys->private_pem)).value());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  AgentOptions options() {
    AgentOptions o;
    o.store_dir = dir_ + "/store";
    o.trial_loader = fake_trial_loader;
    o.self_test = [this](const std::string&, const SelfTest& t) -> Status {
      ++self_tests_run_;
      if (t.expected_label == "pass") return ok_status();
      return Error(ErrorCode::kVerification, "model answered 'fail', expected '" + t.expected_label + "'");
    };
    o.max_chunk_bytes = 4096;
    return o;
  }

  Result<OtaAgent> open_agent(AgentOptions o) {
    return OtaAgent::open(std::move(o), std::move(PublicKey::from_pem(public_pem_)).value());
  }
  OtaAgent open_agent() {
    auto a = open_agent(options());
    EXPECT_TRUE(a.ok()) << a.error().message();
    return std::move(a).value();
  }

  std::vector<std::uint8_t> make_update(std::uint64_t version, const std::vector<std::uint8_t>& bundle,
                                        std::optional<SelfTest> self_test = std::nullopt,
                                        const sign::SigningKey* key = nullptr) {
    sign::UpdateSpec spec;
    spec.model_name = "router";
    spec.version = version;
    spec.self_test = std::move(self_test);
    auto u = sign::build_update(bundle, spec, key != nullptr ? *key : *signer_);
    EXPECT_TRUE(u.ok()) << u.error().message();
    return std::move(u).value();
  }

  std::string write(const std::vector<std::uint8_t>& bytes, const std::string& name) {
    const std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                             static_cast<std::streamsize>(bytes.size()));
    return p;
  }

  // Installs version `v` (a fresh random bundle) and checks it became active.
  void install_ok(OtaAgent& agent, std::uint64_t v) {
    auto r = agent.install_file(write(make_update(v, make_bundle(static_cast<std::uint32_t>(v), 10000 + v)), "u.lnu"));
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->version, v);
    ASSERT_TRUE(agent.check_consistency().ok()) << agent.check_consistency().error().message();
  }

  // The running model is untouched: same slot, same version, still loads.
  void expect_active(OtaAgent& agent, std::uint64_t v) {
    auto active = agent.active();
    ASSERT_TRUE(active.has_value());
    EXPECT_EQ(active->version, v);
    EXPECT_TRUE(fake_trial_loader(active->bundle_path).ok());
    auto consistent = agent.check_consistency();
    EXPECT_TRUE(consistent.ok()) << consistent.error().message();
  }

  std::string dir_;
  std::string public_pem_;
  std::optional<sign::SigningKey> signer_;
  int self_tests_run_ = 0;
};

}  // namespace linnet::ota::testing_support
