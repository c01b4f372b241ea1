// `linnet ota install|status|rollback|check`: the OTA agent from the command line
// (docs/ota.md). The serial server drives the same agent through `linnet serve
// --store DIR --pubkey vendor.pub`.
//
//   linnet ota install update.lnu --store DIR --pubkey vendor.pub [--json] [--wait SECONDS]
//   linnet ota status --store DIR [--json | --kv]
//   linnet ota rollback --store DIR --pubkey vendor.pub [--json] [--wait SECONDS] [--force]
//   linnet ota check --store DIR --pubkey vendor.pub [--json] [--wait SECONDS]
//
// --wait: when another agent holds the store's lock (a `linnet serve` in the middle of
// an OTA call, another install), retry for up to SECONDS instead of failing at once.
// The fleet managers' handlers (boards/fleet/, docs/fleet.md) use it.
//
// rollback switches to the other slot. When that slot holds a newer version than the
// active one (the store was already rolled back), it would be a return to the newer
// model: refused without --force, with what it would do.
#include <chrono>
#include <cstdio>
#include <thread>
#include <nlohmann/json.hpp>
#include <string>

#include "runtime/cli/cli_args.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/session_setup.h"
#include "runtime/ota/bundle_trial.h"
#include "runtime/ota/ota_agent.h"
#include "runtime/ota/session_self_test.h"

namespace linnet::cli {
namespace {

constexpr char kUsage[] =
    "usage: linnet ota install <update.lnu> --store DIR --pubkey vendor.pub [--json] [--wait SECONDS]\n"
    "       linnet ota status --store DIR [--json | --kv]\n"
    "       linnet ota rollback --store DIR --pubkey vendor.pub [--json] [--wait SECONDS] [--force]\n"
    "       linnet ota check --store DIR --pubkey vendor.pub [--json] [--wait SECONDS]   (recover, verify, fall back if needed)\n"
    "  --wait SECONDS: retry while another linnet process holds the store's lock\n"
    "  --force: rollback even when the other slot holds a newer version (a second rollback)\n";

struct OtaArgs {
  std::string action;
  std::string update_path;
  std::string store;
  std::string pubkey;
  bool json = false;
  bool kv = false;     // status only
  bool force = false;  // rollback only
  int wait_seconds = 0;
};

nlohmann::json state_json(const std::string& store, const ota::StoreState& s, const ota::StoreHealth& health) {
  nlohmann::json slots = nlohmann::json::array();
  for (int i = 0; i < ota::kSlotCount; ++i) {
    const ota::SlotRecord& r = s.slots[static_cast<std::size_t>(i)];
    nlohmann::json slot = {{"slot", ota::slot_name(i)},
                           {"status", ota::slot_status_name(r.status)},
                           {"active", s.active_slot == i}};
    if (r.status != ota::SlotStatus::kEmpty) {
      slot["model_name"] = r.model_name;
      slot["version"] = r.version;
      slot["bundle_size"] = r.bundle_size;
      slot["bundle_sha256"] = to_hex(r.bundle_sha256);
    }
    slots.push_back(std::move(slot));
  }
  nlohmann::json out = {{"store", store},
                        {"phase", ota::phase_name(s.phase)},
                        {"active_slot", nullptr},
                        {"version_floor", s.version_floor},
                        {"slots", std::move(slots)},
                        {"transfer", nullptr},
                        {"last_error", s.last_error},
                        {"store_access", ota::store_access_name(health.access)},
                        {"store_note", health.note}};
  if (s.active_slot != ota::kNoSlot) {
    const ota::SlotRecord& a = s.slots[static_cast<std::size_t>(s.active_slot)];
    out["active_slot"] = ota::slot_name(s.active_slot);
    out["active_model"] = a.model_name;
    out["active_version"] = a.version;
    out["active_bundle_sha256"] = to_hex(a.bundle_sha256);
  }
  if (s.phase == ota::Phase::kReceiving && s.target_slot != ota::kNoSlot) {
    const ota::SlotRecord& t = s.slots[static_cast<std::size_t>(s.target_slot)];
    out["transfer"] = {{"slot", ota::slot_name(s.target_slot)},
                       {"model_name", t.model_name},
                       {"version", t.version},
                       {"received_bytes", s.received},
                       {"total_bytes", t.bundle_size}};
  }
  return out;
}

void print_state(const std::string& store, const ota::StoreState& s, const ota::StoreHealth& health) {
  std::printf("store %s (%s)\n", store.c_str(), std::string(ota::store_access_name(health.access)).c_str());
  if (!health.note.empty()) std::printf("store note: %s\n", health.note.c_str());
  std::printf("phase: %s\n", std::string(ota::phase_name(s.phase)).c_str());
  for (int i = 0; i < ota::kSlotCount; ++i) {
    const ota::SlotRecord& r = s.slots[static_cast<std::size_t>(i)];
    std::printf("slot %s: %-9s", std::string(ota::slot_name(i)).c_str(),
                std::string(ota::slot_status_name(r.status)).c_str());
    if (r.status != ota::SlotStatus::kEmpty) {
      std::printf(" %s v%llu (%llu bytes, file sha256 %s)", r.model_name.c_str(),
                  static_cast<unsigned long long>(r.version), static_cast<unsigned long long>(r.bundle_size),
                  to_hex(r.bundle_sha256).substr(0, 16).c_str());
    }
    if (s.active_slot == i) std::printf("  <- active");
    std::printf("\n");
  }
  if (s.phase == ota::Phase::kReceiving && s.target_slot != ota::kNoSlot) {
    std::printf("transfer: %llu of %llu bytes received\n", static_cast<unsigned long long>(s.received),
                static_cast<unsigned long long>(s.slots[static_cast<std::size_t>(s.target_slot)].bundle_size));
  }
  std::printf("anti-rollback: versions above %llu only\n", static_cast<unsigned long long>(s.version_floor));
  std::printf("last error: %s\n", s.last_error.empty() ? "none" : s.last_error.c_str());
}

// `status --kv`: the --json fields as `key=value` lines (values on one line), for
// shell scripts on devices without a JSON parser (boards/fleet/: the fleet managers'
// handlers and Mender's inventory script).
void print_state_kv(const std::string& store, const ota::StoreState& s, const ota::StoreHealth& health) {
  auto one_line = [](std::string v) {
    for (char& c : v) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return v;
  };
  std::printf("store=%s\nphase=%s\n", one_line(store).c_str(), std::string(ota::phase_name(s.phase)).c_str());
  if (s.active_slot != ota::kNoSlot) {
    const ota::SlotRecord& a = s.slots[static_cast<std::size_t>(s.active_slot)];
    std::printf("active_slot=%s\nactive_model=%s\nactive_version=%llu\nactive_bundle_sha256=%s\n",
                std::string(ota::slot_name(s.active_slot)).c_str(), a.model_name.c_str(),
                static_cast<unsigned long long>(a.version), to_hex(a.bundle_sha256).c_str());
  } else {
    std::printf("active_slot=\nactive_model=\nactive_version=\nactive_bundle_sha256=\n");
  }
  for (int i = 0; i < ota::kSlotCount; ++i) {
    const ota::SlotRecord& r = s.slots[static_cast<std::size_t>(i)];
    const std::string n(ota::slot_name(i));
    std::printf("slot_%s_status=%s\n", n.c_str(), std::string(ota::slot_status_name(r.status)).c_str());
    if (r.status != ota::SlotStatus::kEmpty) {
      std::printf("slot_%s_model=%s\nslot_%s_version=%llu\nslot_%s_bundle_sha256=%s\n", n.c_str(),
                  r.model_name.c_str(), n.c_str(), static_cast<unsigned long long>(r.version), n.c_str(),
                  to_hex(r.bundle_sha256).c_str());
    }
  }
  std::printf("version_floor=%llu\nlast_error=%s\n", static_cast<unsigned long long>(s.version_floor),
              one_line(s.last_error).c_str());
  std::printf("store_access=%s\nstore_note=%s\n", std::string(ota::store_access_name(health.access)).c_str(),
              one_line(health.note).c_str());
}

int fail(const OtaArgs& a, const Error& e, const ota::OtaAgent* agent) {
  if (a.json) {
    nlohmann::json out = {{"ok", false}, {"error", e.message()}, {"code", error_code_name(e.code())}};
    if (agent != nullptr) out["state"] = state_json(a.store, agent->state(), agent->health());
    std::printf("%s\n", out.dump().c_str());
  }
  std::fprintf(stderr, "linnet ota %s: error: %s\n", a.action.c_str(), e.message().c_str());
  return 1;
}

Result<ota::OtaAgent> open_agent(const OtaArgs& a) {
  ota::AgentOptions options;
  options.store_dir = a.store;
  options.trial_loader = ota::trial_load_bundle;
  options.self_test = [](const std::string& bundle_path, const ota::SelfTest& test) {
    return ota::run_session_self_test(bundle_path, test);
  };
  options.log = [action = a.action](std::string_view message) {
    std::fprintf(stderr, "linnet ota %s: %.*s\n", action.c_str(), static_cast<int>(message.size()), message.data());
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(a.wait_seconds);
  bool told = false;
  for (;;) {
    auto key = ota::PublicKey::load(a.pubkey);
    if (!key.ok()) return std::move(key).error();
    auto agent = ota::OtaAgent::open(options, std::move(key).value());
    // kFailedPrecondition from open: another process holds the store's lock.
    if (agent.ok() || agent.error().code() != ErrorCode::kFailedPrecondition ||
        std::chrono::steady_clock::now() >= deadline) {
      return agent;
    }
    if (!told) {
      std::fprintf(stderr, "linnet ota %s: %s; waiting up to %d s\n", a.action.c_str(),
                   agent.error().message().c_str(), a.wait_seconds);
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

int report_active(const OtaArgs& a, const char* verb, const ota::ActiveModel& m, const ota::OtaAgent& agent) {
  if (a.json) {
    nlohmann::json out = {{"ok", true},
                          {"model_name", m.model_name},
                          {"version", m.version},
                          {"slot", ota::slot_name(m.slot)},
                          {"bundle_path", m.bundle_path},
                          {"state", state_json(a.store, agent.state(), agent.health())}};
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("%s %s v%llu: slot %s is active (%s)\n", verb, m.model_name.c_str(),
                static_cast<unsigned long long>(m.version), std::string(ota::slot_name(m.slot)).c_str(),
                m.bundle_path.c_str());
  }
  return 0;
}

}  // namespace

int run_ota(Args args) {
  const Usage usage{"ota", kUsage};
  if (wants_help(args)) return usage.help();
  OtaArgs a;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view s = args[i];
    const bool has_value = i + 1 < args.size();
    if ((s == "--store" || s == "--pubkey" || s == "--wait") && !has_value) return usage.error(missing_value(s));
    if (s == "--store") {
      a.store = std::string(args[++i]);
    } else if (s == "--pubkey") {
      a.pubkey = std::string(args[++i]);
    } else if (s == "--json") {
      a.json = true;
    } else if (s == "--kv") {
      a.kv = true;
    } else if (s == "--force") {
      a.force = true;
    } else if (s == "--wait") {
      if (auto problem = read_int(s, args[++i], 0, a.wait_seconds)) return usage.error(*problem);
    } else if (a.action.empty() && !s.empty() && s[0] != '-') {
      a.action = std::string(s);
    } else if (a.action == "install" && a.update_path.empty() && !s.empty() && s[0] != '-') {
      a.update_path = std::string(s);
    } else {
      return usage.error(unknown_argument(s));
    }
  }
  if (a.action.empty()) return usage.error("no action (install, status, rollback or check)");
  if (a.action != "install" && a.action != "status" && a.action != "rollback" && a.action != "check") {
    return usage.error("unknown action '" + a.action + "' (install, status, rollback or check)");
  }
  if (a.store.empty()) return usage.error("--store DIR is required");
  if (a.action != "status" && a.pubkey.empty()) return usage.error("--pubkey vendor.pub is required for " + a.action);
  if (a.action == "install" && a.update_path.empty()) return usage.error("no update file given");
  if (a.kv && (a.action != "status" || a.json)) return usage.error("--kv is for status, without --json");
  if (a.force && a.action != "rollback") return usage.error("--force is for rollback");
  if (a.action == "status") {
    auto report = ota::OtaAgent::inspect(a.store);
    if (!report.ok()) return fail(a, report.error(), nullptr);
    if (a.json) {
      std::printf("%s\n", state_json(a.store, report->state, report->health).dump(2).c_str());
    } else if (a.kv) {
      print_state_kv(a.store, report->state, report->health);
    } else {
      print_state(a.store, report->state, report->health);
    }
    return 0;
  }

  auto agent = open_agent(a);
  if (!agent.ok()) return fail(a, agent.error(), nullptr);
  if (a.action == "install") {
    unsigned long long last_percent = 101;
    auto progress = [&](const ota::TransferProgress& p) {
      const unsigned long long percent = p.bundle_size == 0 ? 100 : p.received * 100 / p.bundle_size;
      if (!a.json && percent != last_percent && (percent % 10 == 0 || p.resumed)) {
        std::fprintf(stderr, "%s %s v%llu: %llu%%\n", p.resumed ? "resuming" : "receiving", p.model_name.c_str(),
                     static_cast<unsigned long long>(p.version), percent);
        last_percent = percent;
      }
    };
    auto r = agent->install_file(a.update_path, progress);
    if (!r.ok()) return fail(a, r.error(), &*agent);
    return report_active(a, "installed", *r, *agent);
  }
  if (a.action == "rollback") {
    const ota::StoreState& s = agent->state();
    if (s.active_slot != ota::kNoSlot) {
      const int other = 1 - s.active_slot;
      const ota::SlotRecord& from = s.slots[static_cast<std::size_t>(s.active_slot)];
      const ota::SlotRecord& to = s.slots[static_cast<std::size_t>(other)];
      const auto describe = [](const ota::SlotRecord& r, int slot) {
        return r.model_name + " v" + std::to_string(r.version) + " (slot " + std::string(ota::slot_name(slot)) + ")";
      };
      if (to.status == ota::SlotStatus::kGood) {
        if (to.version > from.version && !a.force) {
          return fail(a,
                      Error(ErrorCode::kFailedPrecondition,
                            "rollback refused: it would switch from " + describe(from, s.active_slot) + " to the newer " +
                                describe(to, other) + ", undoing an earlier rollback; give --force to do that"),
                      nullptr);
        }
        if (!a.json) {
          std::fprintf(stderr, "linnet ota rollback: switching from %s to %s\n", describe(from, s.active_slot).c_str(),
                       describe(to, other).c_str());
        }
      }
    }
    auto r = agent->rollback();
    if (!r.ok()) return fail(a, r.error(), &*agent);
    return report_active(a, "rolled back to", *r, *agent);
  }
  // check
  // A read-only or degraded store is reported (store_access, the log line), not failed:
  // it still serves; only its model has to load.
  auto active = agent->ensure_active_loads();
  if (!active.ok()) return fail(a, active.error(), &*agent);
  if (agent->writable()) {
    if (auto consistent = agent->check_consistency(); !consistent.ok()) return fail(a, consistent.error(), &*agent);
  }
  return report_active(a, agent->writable() ? "verified" : "verified (store not writable)", *active, *agent);
}

}  // namespace linnet::cli
