// The host client against the server through a pty: requests, streaming, Ctrl-C
// cancel, and pushing real signed updates into runtime/ota's agent (A/B store on
// disk, fake trial loader) with progress and resume.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "converter/sign/signing_key.h"
#include "converter/sign/update_writer.h"
#include "runtime/ota/durable_file.h"
#include "runtime/ota/ota_agent.h"
#include "ota_push.h"
#include "serial_client.h"
#include "runtime/serve/base64.h"
#include "runtime/serve/crc32.h"
#include "runtime/serve/ota_agent_port.h"
#include "runtime/serve/testing/pty_client.h"

namespace linnet::client {
namespace {

using serve::testing::PtyServer;

constexpr char kFakeMagic[] = "FAKEBNDL";

Result<std::string> fake_trial_loader(const std::string& path) {
  auto bytes = ota::read_small_file(path, 1 << 24);
  if (!bytes.ok()) return std::move(bytes).error();
  if (bytes->size() < 8 || std::memcmp(bytes->data(), kFakeMagic, 8) != 0) {
    return Error(ErrorCode::kCorrupt, "not a bundle (fake loader)");
  }
  return to_hex(Sha256::of(*bytes));
}

PtyServer::Config config(serve::OtaPort* ota = nullptr) {
  PtyServer::Config c;
  c.options.line_timeout = 500ms;
  c.options.write_timeout = 500ms;
  c.options.reconnect_interval = 20ms;
  c.ota = ota;
  return c;
}

SerialClient connect(PtyServer& s) {
  auto link = serve::Link::borrow(s.pty().master(), s.pty().master());
  EXPECT_TRUE(link.ok());
  auto client = SerialClient::over(std::move(link).value());
  EXPECT_TRUE(client.ok());
  return std::move(client).value();
}

TEST(SerialClient, InfoClassifyGenerate) {
  PtyServer s(config());
  SerialClient client = connect(s);
  auto info = client.call({{"cmd", "info"}});
  ASSERT_TRUE(info.ok()) << info.error().message();
  EXPECT_EQ((*info)["result"]["model"]["name"], "fake-model");

  auto c = client.call({{"cmd", "classify"}, {"text", "route to billing"}, {"labels", {"billing", "support"}}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(SerialClient::result_of(*c)->at("label"), "billing");

  std::string text;
  CallOptions options;
  options.on_event = [&](const Json& e) { text += e.value("text", ""); };
  auto g = client.call({{"cmd", "generate"}, {"prompt", "p"}, {"max_tokens", 4}}, options);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(text, "t0 t1 t2 t3 ");
  EXPECT_EQ(SerialClient::result_of(*g)->at("generated_tokens"), 4);

  auto bad = client.call({{"cmd", "generate"}});
  ASSERT_TRUE(bad.ok());
  auto r = SerialClient::result_of(*bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "bad_request: missing field 'prompt'");
}

TEST(SerialClient, InterruptSendsCancelAndStillReturnsTheFinalLine) {
  auto cfg = config();
  cfg.backend.token_delay = 5ms;
  PtyServer s(cfg);
  SerialClient client = connect(s);
  const int interrupt = eventfd(0, EFD_CLOEXEC);
  int tokens = 0;
  CallOptions options;
  options.interrupt_fd = interrupt;
  options.on_event = [&](const Json&) {
    if (++tokens == 5) {
      const std::uint64_t one = 1;
      ASSERT_EQ(write(interrupt, &one, sizeof one), 8);  // "Ctrl-C"
    }
  };
  auto g = client.call({{"cmd", "generate"}, {"prompt", "p"}, {"max_tokens", 10000}}, options);
  close(interrupt);
  ASSERT_TRUE(g.ok()) << g.error().message();
  EXPECT_EQ((*g)["result"]["stop_reason"], "cancelled");
  EXPECT_LT(tokens, 100);
}

TEST(SerialClient, ANoiseFilledLineDoesNotConfuseIt) {
  PtyServer s(config());
  // Noise and stale answers for other ids ahead of ours.
  s.client().send("\x01\x02garbage{{{\n{\"id\":5,\"ok\":true}\n");
  SerialClient client = connect(s);
  auto p = client.call({{"cmd", "ping"}});
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ((*p)["ok"], true);
}

class OtaPush : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/linnet_serial_client_test_" + std::to_string(getpid()) + "_" +
           testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto keys = sign::generate_key_pair();
    ASSERT_TRUE(keys.ok());
    public_pem_ = keys->public_pem;
    signer_.emplace(std::move(sign::SigningKey::from_pem(keys->private_pem)).value());
    ota::AgentOptions o;
    o.store_dir = dir_ + "/store";
    o.trial_loader = fake_trial_loader;
    auto agent = ota::OtaAgent::open(std::move(o), std::move(ota::PublicKey::from_pem(public_pem_)).value());
    ASSERT_TRUE(agent.ok()) << agent.error().message();
    agent_.emplace(std::move(agent).value());
    port_.emplace(*agent_, [this](const ota::ActiveModel& m) {
      switched_to_ = m.version;
      return ok_status();
    });
  }
  void TearDown() override {
    port_.reset();
    agent_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string write_update(std::uint64_t version, std::size_t bundle_size, const sign::SigningKey& key) {
    std::vector<std::uint8_t> bundle(bundle_size);
    std::mt19937 rng(static_cast<std::uint32_t>(version));
    for (auto& b : bundle) b = static_cast<std::uint8_t>(rng());
    std::memcpy(bundle.data(), kFakeMagic, 8);
    sign::UpdateSpec spec;
    spec.model_name = "router";
    spec.version = version;
    auto u = sign::build_update(bundle, spec, key);
    EXPECT_TRUE(u.ok()) << u.error().message();
    const std::string path = dir_ + "/v" + std::to_string(version) + ".lnu";
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(u->data()),
                                                static_cast<std::streamsize>(u->size()));
    bundles_[version] = bundle;
    return path;
  }

  std::string dir_, public_pem_;
  std::optional<sign::SigningKey> signer_;
  std::optional<ota::OtaAgent> agent_;
  std::optional<serve::OtaAgentPort> port_;
  std::uint64_t switched_to_ = 0;
  std::map<std::uint64_t, std::vector<std::uint8_t>> bundles_;
};

TEST_F(OtaPush, PushesASignedUpdateWithProgressAndTheAgentInstallsIt) {
  PtyServer s(config(&*port_));
  SerialClient client = connect(s);
  const std::string path = write_update(3, 100000, *signer_);
  std::vector<PushProgress> seen;
  PushOptions options;
  options.on_progress = [&](const PushProgress& p) { seen.push_back(p); };
  auto r = push_update(client, path, options);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ((*r)["model"], "router");
  EXPECT_EQ((*r)["version"], 3);
  EXPECT_EQ(switched_to_, 3u);
  // Progress: from 0 up to the bundle size in server-sized chunks, then "committing".
  ASSERT_GE(seen.size(), 3u);
  EXPECT_EQ(seen.front().sent_bytes, 0u);
  EXPECT_EQ(seen.front().total_bytes, 100000u);
  for (std::size_t i = 1; i + 1 < seen.size(); ++i) EXPECT_GT(seen[i].sent_bytes, seen[i - 1].sent_bytes);
  EXPECT_TRUE(seen.back().committing);
  EXPECT_EQ(seen[seen.size() - 2].sent_bytes, 100000u);
  // The store holds exactly the bundle that was pushed.
  const auto active = agent_->active();
  ASSERT_TRUE(active.has_value());
  auto installed = ota::read_small_file(active->bundle_path, 1 << 24);
  ASSERT_TRUE(installed.ok());
  EXPECT_EQ(*installed, bundles_[3]);
  auto status = client.call({{"cmd", "ota_status"}});
  EXPECT_EQ((*status)["result"]["phase"], "committed");
  EXPECT_EQ((*status)["result"]["active_version"], 3);
}

TEST_F(OtaPush, AnInterruptedPushResumesWhereItStopped) {
  PtyServer s(config(&*port_));
  SerialClient client = connect(s);
  const std::string path = write_update(4, 50000, *signer_);
  // First attempt: begin and 2 chunks by hand, then the client "dies".
  std::ifstream in(path, std::ios::binary);
  std::vector<std::uint8_t> file((std::istreambuf_iterator<char>(in)), {});
  const std::size_t head = file.size() - 50000;
  auto begun = client.call({{"cmd", "ota_begin"},
                            {"head", serve::base64_encode(std::span(file).first(head))}});
  ASSERT_EQ((*begun)["ok"], true) << begun->dump();
  for (std::size_t off = 0; off < 20000; off += 10000) {
    const auto part = std::span(file).subspan(head + off, 10000);
    char crc[9];
    std::snprintf(crc, sizeof crc, "%08x", serve::crc32(part));
    auto a = client.call({{"cmd", "ota_chunk"}, {"offset", off}, {"data", serve::base64_encode(part)}, {"crc32", crc}});
    ASSERT_EQ((*a)["ok"], true) << a->dump();
  }
  std::vector<PushProgress> seen;
  PushOptions options;
  options.on_progress = [&](const PushProgress& p) { seen.push_back(p); };
  auto r = push_update(client, path, options);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(seen.front().resumed_from, 20000u);
  EXPECT_EQ(seen.front().sent_bytes, 20000u);
  EXPECT_EQ((*r)["version"], 4);
}

TEST_F(OtaPush, AnUpdateSignedWithAnotherKeyIsRefusedBeforeAnyBundleByte) {
  PtyServer s(config(&*port_));
  SerialClient client = connect(s);
  auto other = sign::generate_key_pair();
  ASSERT_TRUE(other.ok());
  auto other_key = sign::SigningKey::from_pem(other->private_pem);
  ASSERT_TRUE(other_key.ok());
  const std::string path = write_update(5, 20000, *other_key);
  std::vector<PushProgress> seen;
  PushOptions options;
  options.on_progress = [&](const PushProgress& p) { seen.push_back(p); };
  auto r = push_update(client, path, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("ota:"), std::string::npos) << r.error().message();
  EXPECT_TRUE(seen.empty());
  EXPECT_FALSE(agent_->active().has_value());
  EXPECT_EQ(switched_to_, 0u);
}

}  // namespace
}  // namespace linnet::client
