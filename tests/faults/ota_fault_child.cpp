// The OTA agent as a child process for the fault harness (ota_fault_test.cpp): the
// same agent `linnet ota` runs, with a CrashPoints object the harness can arm. Kept
// out of the device binary so production code has no kill switch.
//
//   ota_fault_child install FILE --store DIR --pubkey P [--chunk N] [--crash-at N] [--trace] [--self-test pass|fail]
//   ota_fault_child check   --store DIR --pubkey P [--crash-at N] [--trace]
//   ota_fault_child rollback --store DIR --pubkey P [--crash-at N] [--trace]
//
// Output (stdout, line-buffered by explicit flushes):
//   HIT <n> <step>                     every crash point reached (--trace)
//   RESULT ok <slot> <version>         install/rollback succeeded
//   RESULT refused <message>           install/rollback refused (exit 1)
//   ACTIVE <slot|none> <version> <phase> <received>   after check (exit 0 when consistent)
//   INCONSISTENT <message>             check failed (exit 3)
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include "runtime/ota/bundle_trial.h"
#include "runtime/ota/ota_agent.h"

namespace {

using namespace linnet;
using namespace linnet::ota;

std::uint64_t parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

void print_active(const OtaAgent& agent) {
  const StoreState& s = agent.state();
  const auto active = agent.active();
  std::printf("ACTIVE %s %llu %s %llu\n", active ? std::string(slot_name(active->slot)).c_str() : "none",
              static_cast<unsigned long long>(active ? active->version : 0),
              std::string(phase_name(s.phase)).c_str(), static_cast<unsigned long long>(s.received));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string command, file, store, pubkey, self_test = "pass";
  std::uint64_t crash_at = 0, chunk = 1024 * 1024;
  bool trace = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool v = i + 1 < argc;
    if (a == "--store" && v) store = argv[++i];
    else if (a == "--pubkey" && v) pubkey = argv[++i];
    else if (a == "--chunk" && v) chunk = parse_u64(argv[++i]);
    else if (a == "--crash-at" && v) crash_at = parse_u64(argv[++i]);
    else if (a == "--self-test" && v) self_test = argv[++i];
    else if (a == "--trace") trace = true;
    else if (command.empty()) command = std::string(a);
    else if (file.empty()) file = std::string(a);
    else return 2;
  }
  if (command.empty() || store.empty() || pubkey.empty() || chunk == 0) return 2;

  CrashPoints points = crash_at != 0 ? CrashPoints::kill_at_hit(crash_at) : CrashPoints();
  if (trace) {
    points.set_observer([](std::uint64_t n, std::string_view step) {
      std::printf("HIT %llu %.*s\n", static_cast<unsigned long long>(n), static_cast<int>(step.size()), step.data());
      std::fflush(stdout);
    });
  }
  auto key = PublicKey::load(pubkey);
  if (!key.ok()) {
    std::printf("RESULT refused %s\n", key.error().message().c_str());
    return 1;
  }
  AgentOptions options;
  options.store_dir = store;
  options.trial_loader = trial_load_bundle;
  // Stand-in for the session's self-test: the harness decides pass or fail.
  options.self_test = [self_test](const std::string&, const SelfTest& t) -> Status {
    if (self_test == "pass") return ok_status();
    return Error(ErrorCode::kVerification, "expected '" + t.expected_label + "', the model said something else");
  };
  options.crash_points = &points;
  options.max_chunk_bytes = static_cast<std::size_t>(chunk);
  auto agent = OtaAgent::open(std::move(options), std::move(key).value());
  if (!agent.ok()) {
    std::printf("INCONSISTENT open: %s\n", agent.error().message().c_str());
    return 3;
  }

  if (command == "check") {
    if (agent->active()) {
      auto loads = agent->ensure_active_loads();
      if (!loads.ok()) {
        std::printf("INCONSISTENT active model: %s\n", loads.error().message().c_str());
        return 3;
      }
    }
    if (auto consistent = agent->check_consistency(); !consistent.ok()) {
      std::printf("INCONSISTENT %s\n", consistent.error().message().c_str());
      return 3;
    }
    print_active(*agent);
    return 0;
  }
  Result<ActiveModel> r = command == "install"    ? agent->install_file(file)
                          : command == "rollback" ? agent->rollback()
                                                  : Result<ActiveModel>(Error(ErrorCode::kInvalidArgument, "usage"));
  if (!r.ok()) {
    std::printf("RESULT refused %s\n", r.error().message().c_str());
    return 1;
  }
  std::printf("RESULT ok %s %llu\n", std::string(slot_name(r->slot)).c_str(),
              static_cast<unsigned long long>(r->version));
  return 0;
}
