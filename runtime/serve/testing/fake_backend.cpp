#include "runtime/serve/testing/fake_backend.h"

#include <charconv>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "runtime/core/sha256.h"

namespace linnet::serve::testing {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// Sleeps `d`, waking every millisecond to look at `cancel`. Returns false if cancelled.
bool sleep_unless_cancelled(std::chrono::microseconds d, const CancelToken& cancel) {
  const auto end = Clock::now() + d;
  while (Clock::now() < end) {
    if (cancel.cancelled()) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(1), end - Clock::now()));
  }
  return !cancel.cancelled();
}

}  // namespace

BackendInfo FakeBackend::info() const {
  BackendInfo i;
  i.model_name = "fake-model";
  i.model_sha256 = std::string(64, 'f');
  i.bundle_schema = 1;
  i.context_length = 4096;
  i.threads = 1;
  i.weights_bytes = 1000;
  i.planned_bytes = 2000;
  return i;
}

BackendStatus FakeBackend::status() const {
  if (throw_in_status_.load()) throw std::runtime_error("fake status thrown");
  BackendStatus s;
  s.model_sha256 = std::string(64, 'f');
  s.context_tokens_used = context_used_.load();
  return s;
}

double FakeBackend::label_probability(std::string_view text, const std::vector<std::string>& labels,
                                      std::string_view label) {
  auto weight = [&](std::string_view l) { return text.find(l) != std::string_view::npos ? 10.0 : 1.0; };
  double sum = 0;
  for (const std::string& l : labels) sum += weight(l);
  return weight(label) / sum;
}

Result<ClassifyResult> FakeBackend::classify(const ClassifyRequest& request, const CancelToken& cancel) {
  ++classify_calls_;
  const auto start = Clock::now();
  if (request.text == "fail") return Error(ErrorCode::kInternal, "fake classify failure");
  if (request.text == "throw") throw std::runtime_error("fake classify thrown");
  if (!sleep_unless_cancelled(options_.classify_delay, cancel)) {
    return Error(ErrorCode::kCancelled, "classify cancelled");
  }
  ClassifyResult r;
  for (const std::string& l : request.labels) {
    const double p = request.text == "nan" ? std::numeric_limits<double>::quiet_NaN()
                                           : label_probability(request.text, request.labels, l);
    r.labels.push_back({l, p});
  }
  r.prompt_tokens = static_cast<std::uint32_t>(request.text.size() / 4 + 1);
  r.prefill_ms = ms_since(start);
  r.total_ms = r.prefill_ms;
  return r;
}

std::string FakeBackend::token_piece(std::string_view prompt, std::uint32_t i) {
  if (prompt.find("utf8") != std::string_view::npos) return i % 2 == 0 ? "\xF0\x9F" : "\x98\x80";
  return "t" + std::to_string(i) + " ";
}

Result<GenerateResult> FakeBackend::generate(std::string_view prompt, const GenerateOptions& options,
                                             const TokenSink& on_token, const CancelToken& cancel) {
  ++generate_calls_;
  const auto start = Clock::now();
  if (prompt == "fail") return Error(ErrorCode::kInternal, "fake generate failure");
  if (prompt == "nan") return Error(ErrorCode::kNumeric, "sampler: the logit of token 0 is nan");
  if (prompt == "throw") throw std::runtime_error("fake generate thrown");
  if (prompt == "value of error") {
    Result<int> failed = Error(ErrorCode::kIo, "fake");
    GenerateResult r;
    r.prompt_tokens = static_cast<std::uint32_t>(failed.value());
    return r;
  }
  if (prompt.size() > 4096) {
    return Error(ErrorCode::kInvalidArgument, "prompt of " + std::to_string(prompt.size()) +
                                                  " bytes does not fit the context");
  }
  std::uint32_t eos_after = UINT32_MAX;
  if (prompt.starts_with("eos:")) {
    std::from_chars(prompt.data() + 4, prompt.data() + prompt.size(), eos_after);
  }

  GenerateResult r;
  r.prompt_tokens = static_cast<std::uint32_t>(prompt.size() / 4 + 1);
  r.prefill_ms = ms_since(start);
  const auto decode_start = Clock::now();
  std::string text;
  r.stop_reason = StopReason::kMaxTokens;
  const std::int64_t delay_override = token_delay_us_.load();
  const std::chrono::microseconds delay =
      delay_override >= 0 ? std::chrono::microseconds(delay_override) : options_.token_delay;
  // The request's sampling fields, echoed (unset: temperature 0, seed 0).
  r.sampling.temperature = options.temperature.value_or(0.0f);
  r.sampling.top_k = options.top_k.value_or(0);
  r.sampling.top_p = options.top_p.value_or(1.0f);
  r.sampling.min_p = options.min_p.value_or(0.0f);
  r.sampling.repetition_penalty = options.repetition_penalty.value_or(1.0f);
  r.sampling.seed = options.seed.value_or(0);
  r.sampling.greedy = r.sampling.temperature <= 0.0f;
  const std::uint32_t max_tokens = options.max_tokens.value_or(16);
  for (std::uint32_t i = 0; i < max_tokens; ++i) {
    if (i == eos_after) {
      r.stop_reason = StopReason::kEndOfTurn;
      break;
    }
    if (!sleep_unless_cancelled(delay, cancel)) {
      r.stop_reason = StopReason::kCancelled;
      ++cancelled_generations_;
      break;
    }
    const std::string piece = token_piece(prompt, i);
    on_token(piece);
    ++r.generated_tokens;
    context_used_.store(r.prompt_tokens + r.generated_tokens);
    text += piece;
    bool stopped = false;
    for (const std::string& s : options.stop) stopped = stopped || text.find(s) != std::string::npos;
    if (stopped) {
      r.stop_reason = StopReason::kStopString;
      break;
    }
  }
  r.decode_ms = ms_since(decode_start);
  r.total_ms = ms_since(start);
  return r;
}

std::string FakeOtaPort::make_head(std::uint64_t version, const std::vector<std::uint8_t>& payload) {
  return "fake-update version=" + std::to_string(version) + " size=" + std::to_string(payload.size()) +
         " sha256=" + to_hex(Sha256::of(payload));
}

Result<OtaBeginResult> FakeOtaPort::begin(std::span<const std::uint8_t> head) {
  std::lock_guard lock(mutex_);
  const std::string text(head.begin(), head.end());
  std::istringstream in(text);
  std::string magic, version, size, sha;
  in >> magic >> version >> size >> sha;
  if (magic != "fake-update" || !version.starts_with("version=") || !size.starts_with("size=") ||
      !sha.starts_with("sha256=") || sha.size() != 7 + 64) {
    return Error(ErrorCode::kCorrupt, "head does not parse");
  }
  OtaBeginResult r;
  const std::string_view size_text = std::string_view(size).substr(5);
  if (std::from_chars(size_text.data(), size_text.data() + size_text.size(), r.total_bytes).ec != std::errc{}) {
    return Error(ErrorCode::kCorrupt, "head size does not parse");
  }
  r.max_chunk_bytes = 4096;
  if (status_.phase == OtaPhase::kReceiving && text == head_) {
    r.resume_offset = received_.size();  // same update: continue
  } else {
    received_.clear();
  }
  head_ = text;
  const std::string_view version_text = std::string_view(version).substr(8);
  std::from_chars(version_text.data(), version_text.data() + version_text.size(), version_);
  sha256_ = sha.substr(7);
  status_.phase = OtaPhase::kReceiving;
  status_.total_bytes = r.total_bytes;
  status_.received_bytes = received_.size();
  status_.last_error.clear();
  return r;
}

Result<std::uint64_t> FakeOtaPort::chunk(std::uint64_t offset, std::span<const std::uint8_t> bytes) {
  std::lock_guard lock(mutex_);
  if (status_.phase != OtaPhase::kReceiving) return Error(ErrorCode::kFailedPrecondition, "no transfer in progress");
  if (offset != received_.size()) {
    return Error(ErrorCode::kOutOfRange, "chunk at offset " + std::to_string(offset) + ", expected " +
                                             std::to_string(received_.size()));
  }
  if (received_.size() + bytes.size() > status_.total_bytes) {
    return Error(ErrorCode::kOutOfRange, "chunk goes past the end of the update");
  }
  received_.insert(received_.end(), bytes.begin(), bytes.end());
  status_.received_bytes = received_.size();
  return std::uint64_t{received_.size()};
}

Result<OtaCommitResult> FakeOtaPort::commit() {
  std::lock_guard lock(mutex_);
  if (status_.phase != OtaPhase::kReceiving) return Error(ErrorCode::kFailedPrecondition, "no transfer in progress");
  if (received_.size() != status_.total_bytes || to_hex(Sha256::of(received_)) != sha256_) {
    status_.phase = OtaPhase::kRolledBack;
    status_.last_error = "payload does not match the head";
    return Error(ErrorCode::kVerification, status_.last_error);
  }
  committed_ = received_;
  status_.phase = OtaPhase::kCommitted;
  status_.active_model = "fake-model";
  status_.active_version = version_;
  return OtaCommitResult{"fake-model", version_};
}

Status FakeOtaPort::abort() {
  std::lock_guard lock(mutex_);
  received_.clear();
  status_.phase = OtaPhase::kIdle;
  status_.received_bytes = status_.total_bytes = 0;
  return ok_status();
}

OtaStatus FakeOtaPort::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

std::vector<std::uint8_t> FakeOtaPort::committed_payload() const {
  std::lock_guard lock(mutex_);
  return committed_;
}

}  // namespace linnet::serve::testing
