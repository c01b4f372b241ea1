#include "runtime/serve/ota_agent_port.h"

#include <utility>

namespace linnet::serve {
namespace {

OtaPhase to_phase(ota::Phase phase) {
  switch (phase) {
    case ota::Phase::kIdle: return OtaPhase::kIdle;
    case ota::Phase::kReceiving: return OtaPhase::kReceiving;
    case ota::Phase::kVerifying: return OtaPhase::kVerifying;
    case ota::Phase::kTrial: return OtaPhase::kTrial;
    case ota::Phase::kCommitted: return OtaPhase::kCommitted;
    case ota::Phase::kRolledBack: return OtaPhase::kRolledBack;
  }
  return OtaPhase::kIdle;
}

}  // namespace

OtaAgentPort::OtaAgentPort(ota::OtaAgent& agent, CommitHook on_commit)
    : borrowed_(&agent), on_commit_(std::move(on_commit)) {
  std::lock_guard lock(agent_mutex_);
  refresh_snapshot(agent.state(), agent.health());
}

OtaAgentPort::OtaAgentPort(std::string store_dir, AgentOpener open_agent, CommitHook on_commit)
    : store_dir_(std::move(store_dir)), open_agent_(std::move(open_agent)), on_commit_(std::move(on_commit)) {
  std::lock_guard lock(agent_mutex_);
  refresh_from_record();
}

template <typename Call>
auto OtaAgentPort::with_agent(Call&& call) -> decltype(call(std::declval<ota::OtaAgent&>())) {
  if (borrowed_ != nullptr) {
    auto r = call(*borrowed_);
    refresh_snapshot(borrowed_->state(), borrowed_->health());
    return r;
  }
  auto agent = open_agent_();
  if (!agent.ok()) {
    // Typically another agent holds the store's lock (a fleet manager's install).
    refresh_from_record();
    return std::move(agent).error();
  }
  auto r = call(*agent);
  refresh_snapshot(agent->state(), agent->health());
  return r;  // the agent closes here, which frees the store's lock
}

void OtaAgentPort::refresh() {
  std::lock_guard lock(agent_mutex_);
  if (borrowed_ != nullptr) {
    refresh_snapshot(borrowed_->state(), borrowed_->health());
  } else {
    refresh_from_record();
  }
}

void OtaAgentPort::refresh_from_record() {
  auto report = ota::OtaAgent::inspect(store_dir_);
  if (report.ok()) {
    refresh_snapshot(report->state, report->health);
    return;
  }
  std::lock_guard lock(snapshot_mutex_);
  snapshot_.last_error = "cannot read the store's state: " + report.error().message();
}

void OtaAgentPort::refresh_snapshot(const ota::StoreState& state, const ota::StoreHealth& health) {
  OtaStatus s;
  s.store = std::string(ota::store_access_name(health.access));
  s.store_note = health.note;
  s.phase = to_phase(state.phase);
  if (state.phase == ota::Phase::kReceiving) {
    s.received_bytes = state.received;
    if (state.target_slot >= 0 && state.target_slot < ota::kSlotCount) {
      s.total_bytes = state.slots[static_cast<std::size_t>(state.target_slot)].bundle_size;
    }
  }
  if (state.active_slot >= 0 && state.active_slot < ota::kSlotCount) {
    const ota::SlotRecord& active = state.slots[static_cast<std::size_t>(state.active_slot)];
    s.active_model = active.model_name;
    s.active_version = active.version;
  }
  s.last_error = state.last_error;
  std::lock_guard lock(snapshot_mutex_);
  snapshot_ = std::move(s);
}

Result<OtaBeginResult> OtaAgentPort::begin(std::span<const std::uint8_t> head) {
  std::lock_guard lock(agent_mutex_);
  auto progress = with_agent([&](ota::OtaAgent& agent) { return agent.begin(head); });
  if (!progress.ok()) return std::move(progress).error();
  OtaBeginResult r;
  r.total_bytes = progress->bundle_size;
  r.resume_offset = progress->received;
  r.max_chunk_bytes = 0;  // the agent takes any size; the server's line limit decides
  std::lock_guard snap(snapshot_mutex_);
  snapshot_.total_bytes = progress->bundle_size;
  return r;
}

Result<std::uint64_t> OtaAgentPort::chunk(std::uint64_t offset, std::span<const std::uint8_t> bytes) {
  std::lock_guard lock(agent_mutex_);
  auto progress = with_agent([&](ota::OtaAgent& agent) { return agent.write_chunk(offset, bytes); });
  if (!progress.ok()) return std::move(progress).error();
  return progress->received;
}

Result<OtaCommitResult> OtaAgentPort::commit() {
  std::lock_guard lock(agent_mutex_);
  {
    std::lock_guard snap(snapshot_mutex_);
    snapshot_.phase = OtaPhase::kVerifying;
  }
  auto active = with_agent([](ota::OtaAgent& agent) { return agent.commit(); });
  if (!active.ok()) return std::move(active).error();
  if (on_commit_) {
    Status switched = on_commit_(*active);
    if (!switched.ok()) {
      return std::move(switched).error().with_context("update " + active->model_name + " v" +
                                                       std::to_string(active->version) +
                                                       " installed, but the runtime did not switch to it");
    }
  }
  return OtaCommitResult{active->model_name, active->version};
}

Status OtaAgentPort::abort() {
  std::lock_guard lock(agent_mutex_);
  return with_agent([](ota::OtaAgent& agent) { return agent.abort_transfer("aborted by the serial client"); });
}

OtaStatus OtaAgentPort::status() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

}  // namespace linnet::serve
