// runtime/ota's OtaAgent behind the serial server's OtaPort.
//
// The agent is not thread-safe and its commit takes seconds (hashing, trial load,
// self-test), while the OtaPort contract wants status() answered during a commit. So
// agent calls are serialised by one mutex, and status() reads a snapshot refreshed
// after every call (and marked "verifying" while a commit runs), never the agent.
#pragma once

#include <functional>
#include <mutex>

#include "ota/ota_agent.h"
#include "serve/ota_port.h"

namespace linnet::serve {

// Called on the worker thread after the agent committed an update, with the model now
// active: the place to make the backend serve it. An error is reported to the client
// (the update is installed, but the runtime did not switch to it).
using CommitHook = std::function<Status(const ota::ActiveModel& active)>;

class OtaAgentPort final : public OtaPort {
 public:
  // `agent` is borrowed: it must outlive this port and only be used through it.
  explicit OtaAgentPort(ota::OtaAgent& agent, CommitHook on_commit = {});

  Result<OtaBeginResult> begin(std::span<const std::uint8_t> head) override;
  Result<std::uint64_t> chunk(std::uint64_t offset, std::span<const std::uint8_t> bytes) override;
  Result<OtaCommitResult> commit() override;
  Status abort() override;
  OtaStatus status() const override;

 private:
  void refresh_snapshot();  // caller holds agent_mutex_

  ota::OtaAgent& agent_;
  CommitHook on_commit_;
  std::mutex agent_mutex_;
  mutable std::mutex snapshot_mutex_;
  OtaStatus snapshot_;
};

}  // namespace linnet::serve
