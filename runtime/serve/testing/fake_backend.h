// Deterministic stand-ins for the model and the OTA agent, for testing the server
// through pseudo-terminals. Test-only: built into linnet_serve_testing, which nothing in
// the device binary links.
//
// FakeBackend behaviour (so tests can predict every answer):
//   generate: token i is "t<i> " (16 tokens unless max_tokens says otherwise); a
//     prompt containing "utf8" instead yields the two halves of U+1F600 in turn (pieces
//     that split a UTF-8 sequence); a prompt "eos:<n>" ends with end_of_turn after n
//     tokens; a stop string ends it after the token that completes it; "fail" fails with kInternal;
//     "nan" fails with kNumeric (as a damaged model's session does); "throw" throws
//     std::runtime_error; "value of error" calls Result::value() on an error (which throws); a
//     prompt over 4096 bytes fails with kInvalidArgument. Checks the cancel token before
//     every token, sleeps token_delay per token. The result's sampling echoes the
//     request's sampling fields (unset: temperature 0, i.e. greedy; seed 0).
//   classify: weight 10 for each label that occurs in the text, 1 otherwise,
//     normalised; text "fail" fails with kInternal; text "nan" gives every label a NaN
//     probability (a backend that does not check its numbers); text "throw" throws
//     std::runtime_error. Sleeps classify_delay (cancellable).
//   status: throws std::runtime_error after set_throw_in_status(true).
// FakeOtaPort: the head is the text "fake-update version=<v> size=<n> sha256=<hex>";
//   chunks are kept in memory; commit checks size and SHA-256. (ota_serial_test runs
//   the real agent.)
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/serve/backend.h"
#include "runtime/serve/ota_port.h"

namespace linnet::serve::testing {

struct FakeBackendOptions {
  std::chrono::microseconds token_delay{0};
  std::chrono::microseconds classify_delay{0};
};

class FakeBackend final : public Backend {
 public:
  explicit FakeBackend(FakeBackendOptions options = {}) : options_(options) {}

  BackendInfo info() const override;
  BackendStatus status() const override;
  Result<ClassifyResult> classify(const ClassifyRequest& request, const CancelToken& cancel) override;
  Result<GenerateResult> generate(std::string_view prompt, const GenerateOptions& options,
                                  const TokenSink& on_token, const CancelToken& cancel) override;

  // The i-th token piece for `prompt` (see above).
  static std::string token_piece(std::string_view prompt, std::uint32_t i);
  // The probability classify gives `label` among `labels` for `text`.
  static double label_probability(std::string_view text, const std::vector<std::string>& labels,
                                  std::string_view label);

  int generate_calls() const { return generate_calls_.load(); }
  int classify_calls() const { return classify_calls_.load(); }
  int cancelled_generations() const { return cancelled_generations_.load(); }
  void set_token_delay(std::chrono::microseconds d) { token_delay_us_.store(d.count()); }
  void set_throw_in_status(bool on) { throw_in_status_.store(on); }

 private:
  FakeBackendOptions options_;
  std::atomic<std::int64_t> token_delay_us_{-1};  // -1: options_.token_delay
  std::atomic<bool> throw_in_status_{false};
  std::atomic<int> generate_calls_{0};
  std::atomic<int> classify_calls_{0};
  std::atomic<int> cancelled_generations_{0};
  std::atomic<std::uint32_t> context_used_{0};
};

class FakeOtaPort final : public OtaPort {
 public:
  static std::string make_head(std::uint64_t version, const std::vector<std::uint8_t>& payload);

  Result<OtaBeginResult> begin(std::span<const std::uint8_t> manifest) override;
  Result<std::uint64_t> chunk(std::uint64_t offset, std::span<const std::uint8_t> bytes) override;
  Result<OtaCommitResult> commit() override;
  Status abort() override;
  OtaStatus status() const override;

  std::vector<std::uint8_t> committed_payload() const;

 private:
  mutable std::mutex mutex_;
  OtaStatus status_;
  std::string head_;
  std::uint64_t version_ = 0;
  std::string sha256_;
  std::vector<std::uint8_t> received_;
  std::vector<std::uint8_t> committed_;
};

}  // namespace linnet::serve::testing
