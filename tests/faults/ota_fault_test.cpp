// Fault injection for the OTA agent: power cuts at every durable write step and at
// random moments, on real bundles (qwen35-tiny-a converted to f32 = version 1 and
// f16 = version 2, q8 = version 3). The agent runs as a child process (ota_fault_child); after each
// SIGKILL the harness restarts it and checks:
//   - the store is consistent (OtaAgent::check_consistency in the child: the state
//     record decodes, every good slot's file has the recorded SHA-256, no stray files,
//     an open transfer's files agree with its record);
//   - the active model loads and verifies (Bundle::open with SHA-256, in the child) and
//     is, byte for byte, the old or the new bundle (checked here, independently);
//   - retrying the interrupted operation finishes it (the update lands, or a failing
//     one is refused again with the old model still active).
// Crash points inside recovery itself are enumerated too (a second cut while the
// agent cleans up after the first).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "runtime/bundle/bundle.h"
#include "converter/lib/convert.h"
#include "converter/sign/signing_key.h"
#include "converter/sign/update_writer.h"
#include "runtime/core/mapped_file.h"
#include "runtime/ota/ota_agent.h"

extern char** environ;

namespace linnet::ota {
namespace {

namespace fs = std::filesystem;

struct ChildResult {
  bool killed = false;  // ended by SIGKILL
  int exit_code = -1;
  std::string out;
};

struct Observed {
  std::string slot;  // "a", "b", "none"
  std::uint64_t version = 0;
  std::string phase;
  std::uint64_t received = 0;
};

// Scope knobs for slow targets (tests/faults/CMakeLists.txt sets them under qemu):
// LINNET_OTA_FAULT_KILLS (random kills, default 200) and LINNET_OTA_FAULT_NESTED=0
// (skip the second cut during recovery).
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::atoi(v) : fallback;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class OtaFaultTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_ = testing::TempDir() + "/linnet_ota_faults_" + std::to_string(::getpid());
    fs::remove_all(work_);
    fs::create_directories(work_);
    const std::string hf = std::string(LINNET_SHARED_DIR) + "/models/qwen35-tiny-a";
    for (auto [v, quant] : {std::pair{1, convert::QuantMode::kF32}, std::pair{2, convert::QuantMode::kF16},
                            std::pair{3, convert::QuantMode::kQ8}}) {
      convert::ConvertOptions co;
      co.hf_dir = hf;
      co.output = work_ + "/v" + std::to_string(v) + ".linnet";
      co.quant = quant;
      co.created_unix_seconds = 1;
      auto r = convert::convert_checkpoint(co);
      ASSERT_TRUE(r.ok()) << r.error().message();
      auto file = MappedFile::open(co.output);
      ASSERT_TRUE(file.ok());
      bundle_sha_[static_cast<std::uint64_t>(v)] = Sha256::of(file->bytes());
    }
    auto keys = sign::generate_key_pair();
    ASSERT_TRUE(keys.ok());
    ASSERT_TRUE(sign::write_key_pair(*keys, work_ + "/vendor", true).ok());
    auto key = sign::SigningKey::from_pem(keys->private_pem);
    ASSERT_TRUE(key.ok());
    for (std::uint64_t v : {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{3}}) {
      sign::UpdateSpec spec;
      spec.model_name = "tiny";
      spec.version = v;
      spec.self_test = SelfTest{"Is this message spam? Buy cheap pills now", "spam", {}, ""};
      auto m = sign::write_update(work_ + "/v" + std::to_string(v) + ".linnet", spec, *key,
                                  work_ + "/v" + std::to_string(v) + ".lnu");
      ASSERT_TRUE(m.ok()) << m.error().message();
    }
    // Base stores: v1 active; v1 and v2 (v2 active).
    ASSERT_EQ(child({"install", work_ + "/v1.lnu", "--store", work_ + "/base-v1"}).exit_code, 0);
    fs::copy(work_ + "/base-v1", work_ + "/base-v2", fs::copy_options::recursive);
    ASSERT_EQ(child({"install", work_ + "/v2.lnu", "--store", work_ + "/base-v2"}).exit_code, 0);
  }
  static void TearDownTestSuite() { fs::remove_all(work_); }

  // Runs ota_fault_child with `args` (+ --pubkey); kills it after `kill_after` if set.
  static ChildResult child(std::vector<std::string> args,
                           std::optional<std::chrono::microseconds> kill_after = std::nullopt) {
    args.insert(args.begin(), LINNET_OTA_FAULT_CHILD);
    // Cross builds: "qemu-aarch64|-L|/|-cpu|cortex-a76" in front of the child.
    std::string emulator = LINNET_OTA_FAULT_EMULATOR;
    std::vector<std::string> prefix;
    for (std::size_t start = 0; !emulator.empty() && start <= emulator.size();) {
      const std::size_t end = std::min(emulator.find('|', start), emulator.size());
      prefix.push_back(emulator.substr(start, end - start));
      start = end + 1;
    }
    args.insert(args.begin(), prefix.begin(), prefix.end());
    args.push_back("--pubkey");
    args.push_back(work_ + "/vendor.pub");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string out_path = work_ + "/child.out";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ChildResult result;
    if (rc != 0) {
      result.out = "spawn failed";
      return result;
    }
    if (kill_after) {
      const timespec ts{static_cast<time_t>(kill_after->count() / 1000000),
                        static_cast<long>(kill_after->count() % 1000000) * 1000};
      ::nanosleep(&ts, nullptr);
      ::kill(pid, SIGKILL);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = read_text(out_path);
    return result;
  }

  // The trace of a clean run: the crash points it passes, in order.
  static std::vector<std::string> trace(std::vector<std::string> args) {
    args.push_back("--trace");
    const ChildResult r = child(std::move(args));
    std::vector<std::string> steps;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("HIT ", 0) == 0) steps.push_back(line.substr(line.find(' ', 4) + 1));
    }
    return steps;
  }

  static void copy_store(const std::string& from, const std::string& to) {
    fs::remove_all(to);
    if (fs::exists(from)) fs::copy(from, to, fs::copy_options::recursive);
  }

  // Restarts the agent on `store` and checks every invariant; `allowed` are the
  // versions the active model may have (0 = no model, only before a first install).
  static std::optional<Observed> restart_and_check(const std::string& store, const std::set<std::uint64_t>& allowed,
                                                   const std::string& context) {
    const ChildResult r = child({"check", "--store", store});
    if (r.exit_code != 0) {
      ADD_FAILURE() << context << ": check failed (exit " << r.exit_code << "): " << r.out;
      return std::nullopt;
    }
    Observed o;
    std::istringstream in(r.out.substr(r.out.find("ACTIVE ")));
    std::string tag;
    in >> tag >> o.slot >> o.version >> o.phase;
    if (o.phase == "rolled") {
      std::string back;
      in >> back;
      o.phase += " " + back;
    }
    in >> o.received;
    if (!allowed.count(o.version)) {
      ADD_FAILURE() << context << ": active version " << o.version << " is neither the old nor the new one";
      return std::nullopt;
    }
    // Independently of the agent's own report: the active file is one of the two
    // bundles, byte for byte, and it loads with verification.
    auto state = OtaAgent::read_state(store);
    if (!state.ok()) {
      ADD_FAILURE() << context << ": " << state.error().message();
      return std::nullopt;
    }
    if (o.version != 0) {
      const std::string path = store + "/slot-" + o.slot + ".linnet";
      auto file = MappedFile::open(path);
      if (!file.ok() || Sha256::of(file->bytes()) != bundle_sha_[o.version]) {
        ADD_FAILURE() << context << ": " << path << " is not bundle v" << o.version;
        return std::nullopt;
      }
      BundleOpenOptions bo;
      bo.verify_sha256 = true;
      auto bundle = Bundle::open(path, bo);
      if (!bundle.ok()) {
        ADD_FAILURE() << context << ": active bundle does not load: " << bundle.error().message();
        return std::nullopt;
      }
    }
    return o;
  }

  // A crash at every hit of `args` (run on a copy of `base`), then recovery crashes
  // at every hit of the restart, then a retry. Returns the crash points covered.
  static std::map<std::string, int> every_crash_point(const std::string& scenario, const std::string& base,
                                                      std::vector<std::string> args,
                                                      const std::set<std::uint64_t>& allowed_after_crash,
                                                      int retry_exit,  // -1: either
                                                      std::uint64_t version_after_retry, bool nested_cuts,
                                                      const std::function<void(const std::string&)>& damage = {}) {
    std::map<std::string, int> covered;
    const std::string run = work_ + "/run-" + scenario;
    const std::string crashed = work_ + "/crashed-" + scenario;
    const std::string nested = work_ + "/nested-" + scenario;
    copy_store(base, run);
    auto with_store = [&](std::vector<std::string> a, const std::string& store) {
      a.push_back("--store");
      a.push_back(store);
      return a;
    };
    const std::vector<std::string> steps = trace(with_store(args, run));
    EXPECT_GT(steps.size(), 0u) << scenario;
    for (std::size_t n = 1; n <= steps.size(); ++n) {
      const std::string ctx = scenario + " crash " + std::to_string(n) + " (" + steps[n - 1] + ")";
      copy_store(base, run);
      auto a = with_store(args, run);
      a.push_back("--crash-at");
      a.push_back(std::to_string(n));
      const ChildResult r = child(a);
      if (!r.killed) {
        ADD_FAILURE() << ctx << ": the child was not killed at the crash point: " << r.out;
        continue;
      }
      ++covered[steps[n - 1]];
      if (damage) damage(run);  // storage fails too, before the restart
      copy_store(run, crashed);
      if (!restart_and_check(run, allowed_after_crash, ctx)) continue;

      // Second cut: during the recovery that follows the first.
      if (nested_cuts && env_int("LINNET_OTA_FAULT_NESTED", 1) != 0) {
        copy_store(crashed, nested);
        const std::vector<std::string> recovery_steps = trace(with_store({"check"}, nested));
        for (std::size_t m = 1; m <= recovery_steps.size(); ++m) {
          const std::string ctx2 =
              ctx + ", then recovery crash " + std::to_string(m) + " (" + recovery_steps[m - 1] + ")";
          copy_store(crashed, nested);
          const ChildResult rr = child(with_store({"check", "--crash-at", std::to_string(m)}, nested));
          if (!rr.killed) {
            ADD_FAILURE() << ctx2 << ": not killed: " << rr.out;
            continue;
          }
          ++covered[recovery_steps[m - 1]];
          restart_and_check(nested, allowed_after_crash, ctx2);
        }
      }

      // Retry: the operation completes (or is refused again) after the cut. An update
      // that had already committed before the cut is refused as "not above" itself.
      const ChildResult retry = child(with_store(args, run));
      if (retry_exit >= 0) {
        EXPECT_EQ(retry.exit_code, retry_exit) << ctx << ": retry: " << retry.out;
      }
      if (auto o = restart_and_check(run, {version_after_retry}, ctx + ", after retry")) {
        EXPECT_EQ(o->version, version_after_retry) << ctx;
      }
    }
    return covered;
  }

  static void print_coverage(const std::string& scenario, const std::map<std::string, int>& covered) {
    int total = 0;
    std::string list;
    for (const auto& [step, count] : covered) {
      total += count;
      list += " " + step + " x" + std::to_string(count);
    }
    std::printf("[faults] %s: %d crashes at %zu distinct points:%s\n", scenario.c_str(), total, covered.size(),
                list.c_str());
  }

  static std::string work_;
  static std::map<std::uint64_t, Sha256Digest> bundle_sha_;
};

std::string OtaFaultTest::work_;
std::map<std::uint64_t, Sha256Digest> OtaFaultTest::bundle_sha_;

TEST_F(OtaFaultTest, EveryCrashPointOfAnUpdate) {
  // v2 active, v1 in the other slot (released by the update); 1 MiB chunks.
  auto covered = every_crash_point("update", work_ + "/base-v2",
                                   {"install", work_ + "/v3.lnu", "--chunk", "1048576"}, {2, 3}, -1, 3, true);
  print_coverage("update v2 -> v3", covered);
  for (const char* step : {"head.tmp-written", "head.tmp-synced", "head.renamed", "head.dir-synced",
                           "incoming.created", "state.tmp-written", "state.tmp-synced", "state.renamed",
                           "state.dir-synced", "slot.released", "slot.released-synced", "chunk.written",
                           "chunk.synced", "slot.renamed", "slot.renamed-synced", "head.removed",
                           "head.removed-synced"}) {
    EXPECT_TRUE(covered.count(step)) << "crash point " << step << " was never reached";
  }
  // Recovery's own crash points are reached by the second cut (a crash while recovering
  // from a crash), which the smoke scope under qemu leaves out.
  if (env_int("LINNET_OTA_FAULT_NESTED", 1) != 0) {
    for (const char* step : {"recover.unrenamed", "recover.cleaned"}) {
      EXPECT_TRUE(covered.count(step)) << "crash point " << step << " was never reached";
    }
  }
}

// A power cut at every step of an update, and then the state record's primary copy is
// gone as well (the store's `rm STORE/state` case): the copy restores it; the store
// is consistent, serves the old or the new model, and the retry lands the update.
TEST_F(OtaFaultTest, EveryCrashPointOfAnUpdateThenTheRecordIsLost) {
  auto covered = every_crash_point("update-lost-record", work_ + "/base-v2",
                                   {"install", work_ + "/v3.lnu", "--chunk", "1048576"}, {2, 3}, -1, 3, false,
                                   [](const std::string& store) { fs::remove(store + "/state"); });
  print_coverage("update v2 -> v3, then the record's primary copy removed", covered);
  EXPECT_TRUE(covered.count("state-copy.tmp-written"));
  EXPECT_TRUE(covered.count("slot-head.renamed"));
}

TEST_F(OtaFaultTest, EveryCrashPointOfAFailingUpdate) {
  auto covered = every_crash_point("failing", work_ + "/base-v1",
                                   {"install", work_ + "/v2.lnu", "--chunk", "4194304", "--self-test", "fail"},
                                   {1}, 1, 1, true);
  print_coverage("update refused by its self-test", covered);
  EXPECT_TRUE(covered.count("abandon.removed"));
  EXPECT_TRUE(covered.count("abandon.synced"));
}

TEST_F(OtaFaultTest, EveryCrashPointOfAFirstInstall) {
  auto covered = every_crash_point("first", work_ + "/empty",
                                   {"install", work_ + "/v1.lnu", "--chunk", "4194304"}, {0, 1}, -1, 1, false);
  print_coverage("first install into an empty store", covered);
}

TEST_F(OtaFaultTest, EveryCrashPointOfARollback) {
  const std::vector<std::string> steps =
      trace({"rollback", "--store", (copy_store(work_ + "/base-v2", work_ + "/rb"), work_ + "/rb")});
  ASSERT_FALSE(steps.empty());
  std::map<std::string, int> covered;
  for (std::size_t n = 1; n <= steps.size(); ++n) {
    copy_store(work_ + "/base-v2", work_ + "/rb");
    const ChildResult r = child({"rollback", "--store", work_ + "/rb", "--crash-at", std::to_string(n)});
    ASSERT_TRUE(r.killed) << r.out;
    ++covered[steps[n - 1]];
    restart_and_check(work_ + "/rb", {1, 2}, "rollback crash " + std::to_string(n) + " (" + steps[n - 1] + ")");
  }
  print_coverage("rollback v2 -> v1", covered);
}

// Kills at uniformly random moments of an install (chunked in 256 KiB pieces, each
// acknowledged durably), restarting and resuming until the update lands, then again
// from the old store, until at least kMinKills kills.
TEST_F(OtaFaultTest, RandomKillsDuringTransfers) {
  const int kMinKills = env_int("LINNET_OTA_FAULT_KILLS", 200);
  const std::string store = work_ + "/random";
  const std::vector<std::string> install = {"install", work_ + "/v2.lnu", "--store", store, "--chunk", "262144"};
  // Duration of a clean install (median of three).
  std::vector<double> ms;
  for (int i = 0; i < 3; ++i) {
    copy_store(work_ + "/base-v1", store);
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_EQ(child(install).exit_code, 0);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  const double clean_ms = ms[1];

  // Kill times uniform over 1.5 clean installs. A restarted run redoes part of the work
  // (start-up, recovery, re-verifying a fully received bundle), so a window this short
  // could starve the commit forever: after kMaxKillsInARow kills without a completed
  // update, one run is left to finish (and checked like the others).
  constexpr int kMaxKillsInARow = 12;
  std::mt19937_64 rng(20240611);
  std::uniform_real_distribution<double> when(0.0, clean_ms * 1.5);
  int kills = 0, completed_updates = 0, runs = 0, resumed_with_bytes = 0, kills_in_a_row = 0, spared_runs = 0;
  std::map<std::string, int> phase_after_kill;
  std::uint64_t max_received_seen = 0;
  copy_store(work_ + "/base-v1", store);
  while (kills < kMinKills) {
    const auto delay = std::chrono::microseconds(static_cast<long>(when(rng) * 1000.0));
    const bool spare = kills_in_a_row >= kMaxKillsInARow;
    spared_runs += spare ? 1 : 0;
    const ChildResult r = spare ? child(install) : child(install, delay);
    ++runs;
    if (!r.killed) {
      // Finished: installed now, or refused as "not above" itself because an earlier
      // run was killed after its commit.
      ASSERT_TRUE(r.exit_code == 0 || r.out.find("(anti-rollback)") != std::string::npos) << r.out;
      auto o = restart_and_check(store, {2}, "after a completed install");
      ASSERT_TRUE(o.has_value());
      ++completed_updates;
      kills_in_a_row = 0;
      copy_store(work_ + "/base-v1", store);
      continue;
    }
    ++kills;
    ++kills_in_a_row;
    auto o = restart_and_check(store, {1, 2}, "random kill " + std::to_string(kills) + " at " +
                                                  std::to_string(delay.count()) + " us");
    ASSERT_TRUE(o.has_value());
    ++phase_after_kill[o->phase + (o->version == 2 ? " (new active)" : " (old active)")];
    if (o->phase == "receiving" && o->received > 0) ++resumed_with_bytes;
    max_received_seen = std::max(max_received_seen, o->received);
  }
  std::string phases;
  for (const auto& [p, n] : phase_after_kill) phases += " [" + p + ": " + std::to_string(n) + "]";
  std::printf("[faults] random kills: %d kills in %d runs (clean install %.0f ms, kill times uniform in 0..%.0f ms), "
              "%d updates completed across kills (%d of them by a run left to finish after %d kills in a row), "
              "%d restarts resumed a partial transfer (largest %llu bytes); "
              "state after restart:%s\n",
              kills, runs, clean_ms, clean_ms * 1.5, completed_updates, spared_runs, kMaxKillsInARow,
              resumed_with_bytes,
              static_cast<unsigned long long>(max_received_seen), phases.c_str());
  EXPECT_GE(kills, kMinKills);
  EXPECT_GT(resumed_with_bytes, 0);
  EXPECT_GT(completed_updates, 0);
}

}  // namespace
}  // namespace linnet::ota
