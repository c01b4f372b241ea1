// runtime/ota's OtaAgent behind the serial server's OtaPort.
//
// The agent is not thread-safe and its commit takes seconds (hashing, trial load,
// self-test), while the OtaPort contract wants status() answered during a commit. So
// agent calls are serialised by one mutex, and status() reads a snapshot refreshed
// after every call (and marked "verifying" while a commit runs), never the agent.
//
// Two ways to hold the agent:
// - borrowed (tests): one OtaAgent, open (and so holding the store's lock) for the
//   port's whole life;
// - opened per call (`linnet serve`): each begin/chunk/commit/abort opens the agent,
//   which takes the store's lock and runs recovery, and closes it when the call returns.
//   Between calls the lock is free, so another agent (`linnet ota install` run by a
//   fleet manager: docs/fleet.md) can update the same store while the server runs; the
//   server then notices the new state (refresh()) and switches models. A call that finds
//   the store locked by such an install fails with the agent's "in use" error, which the
//   serial client sees; an open serial transfer that another agent replaced is refused at
//   its next chunk.
#pragma once

#include <functional>
#include <mutex>
#include <optional>

#include "runtime/ota/ota_agent.h"
#include "runtime/serve/ota_port.h"

namespace linnet::serve {

// Called on the worker thread after the agent committed an update, with the model now
// active: the place to make the backend serve it. An error is reported to the client
// (the update is installed, but the runtime did not switch to it).
using CommitHook = std::function<Status(const ota::ActiveModel& active)>;

// Opens the store's agent (taking its lock) for one call.
using AgentOpener = std::function<Result<ota::OtaAgent>()>;

class OtaAgentPort final : public OtaPort {
 public:
  // `agent` is borrowed: it must outlive this port and only be used through it.
  explicit OtaAgentPort(ota::OtaAgent& agent, CommitHook on_commit = {});
  // Opens the agent of the store in `store_dir` for each call with `open_agent` (see
  // the header comment).
  OtaAgentPort(std::string store_dir, AgentOpener open_agent, CommitHook on_commit = {});

  Result<OtaBeginResult> begin(std::span<const std::uint8_t> head) override;
  Result<std::uint64_t> chunk(std::uint64_t offset, std::span<const std::uint8_t> bytes) override;
  Result<OtaCommitResult> commit() override;
  Status abort() override;
  OtaStatus status() const override;

  // Re-reads the store's state record (without its lock) into the status snapshot:
  // after another agent changed the store. Waits for a call in progress.
  void refresh();

 private:
  // Runs `call` with the agent (borrowed, or opened for it), then refreshes the
  // snapshot; caller holds agent_mutex_.
  template <typename Call>
  auto with_agent(Call&& call) -> decltype(call(std::declval<ota::OtaAgent&>()));
  void refresh_snapshot(const ota::StoreState& state, const ota::StoreHealth& health);  // caller holds agent_mutex_
  void refresh_from_record();                           // caller holds agent_mutex_

  ota::OtaAgent* borrowed_ = nullptr;
  std::string store_dir_;
  AgentOpener open_agent_;
  CommitHook on_commit_;
  std::mutex agent_mutex_;
  mutable std::mutex snapshot_mutex_;
  OtaStatus snapshot_;
};

}  // namespace linnet::serve
