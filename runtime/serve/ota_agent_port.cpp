#include "serve/ota_agent_port.h"

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
    : agent_(agent), on_commit_(std::move(on_commit)) {
  std::lock_guard lock(agent_mutex_);
  refresh_snapshot();
}

void OtaAgentPort::refresh_snapshot() {
  const ota::StoreState& state = agent_.state();
  OtaStatus s;
  s.phase = to_phase(state.phase);
  if (state.phase == ota::Phase::kReceiving) {
    s.received_bytes = state.received;
    if (state.target_slot >= 0 && state.target_slot < ota::kSlotCount) {
      s.total_bytes = state.slots[static_cast<std::size_t>(state.target_slot)].bundle_size;
    }
  }
  if (const auto active = agent_.active()) {
    s.active_model = active->model_name;
    s.active_version = active->version;
  }
  s.last_error = state.last_error;
  std::lock_guard lock(snapshot_mutex_);
  snapshot_ = std::move(s);
}

Result<OtaBeginResult> OtaAgentPort::begin(std::span<const std::uint8_t> head) {
  std::lock_guard lock(agent_mutex_);
  auto progress = agent_.begin(head);
  refresh_snapshot();
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
  auto progress = agent_.write_chunk(offset, bytes);
  refresh_snapshot();
  if (!progress.ok()) return std::move(progress).error();
  return progress->received;
}

Result<OtaCommitResult> OtaAgentPort::commit() {
  std::lock_guard lock(agent_mutex_);
  {
    std::lock_guard snap(snapshot_mutex_);
    snapshot_.phase = OtaPhase::kVerifying;
  }
  auto active = agent_.commit();
  refresh_snapshot();
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
  Status s = agent_.abort_transfer("aborted by the serial client");
  refresh_snapshot();
  return s;
}

OtaStatus OtaAgentPort::status() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

}  // namespace linnet::serve
