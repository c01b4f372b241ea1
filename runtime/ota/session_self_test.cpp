#include "runtime/ota/session_self_test.h"

#include <algorithm>

#include "runtime/session/session.h"

namespace linnet::ota {
namespace {

std::string shown(std::string_view text) {
  std::string out = "'";
  for (char c : text.substr(0, 80)) out += (c == '\n') ? ' ' : c;
  return out + (text.size() > 80 ? "...'" : "'");
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

}  // namespace

Status run_session_self_test(const std::string& bundle_path, const SelfTest& test,
                             const SessionSelfTestOptions& options) {
  // The trial load (commit(), just before) already verified the SHA-256; no second full read.
  ModelOptions model_options;
  model_options.verify_sha256 = false;
  auto model = Model::open(bundle_path, model_options);
  if (!model.ok()) return std::move(model).error();
  SessionOptions so;
  so.executor.context_length = options.context_length;
  auto session = Session::create(**model, so);
  if (!session.ok()) return std::move(session).error();
  auto prompt = (*session)->encode_chat(test.system, test.prompt, /*thinking=*/false);
  if (!prompt.ok()) return std::move(prompt).error();
  const int room = (*session)->context_length() - static_cast<int>(prompt->size());
  const int answer_tokens = test.expected_token_ids.empty() ? options.max_answer_tokens
                                                            : static_cast<int>(test.expected_token_ids.size());
  if (room < answer_tokens) {
    return Error(ErrorCode::kInvalidArgument, "prompt of " + std::to_string(prompt->size()) +
                                                  " tokens leaves no room for the answer in the self-test context");
  }

  if (!test.expected_token_ids.empty()) {
    Session& s = **session;
    LINNET_TRY(s.configure_sampler(SamplerOptions{.temperature = 0.0f,
                                                  .eligible_ids = static_cast<std::uint32_t>(
                                                      (*model)->tokenizer().vocab_size())}));
    LINNET_TRY(s.prefill(*prompt));
    for (std::size_t i = 0; i < test.expected_token_ids.size(); ++i) {
      const TokenId id = LINNET_TRY(s.sample());
      const auto want = static_cast<TokenId>(test.expected_token_ids[i]);
      if (id != want) {
        return Error(ErrorCode::kVerification, "answer token " + std::to_string(i) + " is " + std::to_string(id) +
                                                   ", expected " + std::to_string(want));
      }
      if (i + 1 < test.expected_token_ids.size()) LINNET_TRY(s.decode(id));
    }
    return ok_status();
  }

  std::string answer;
  GenerationOptions go;
  go.sampling = SamplerOptions{.temperature = 0.0f,
                               .eligible_ids = static_cast<std::uint32_t>((*model)->tokenizer().vocab_size())};
  go.max_new_tokens = static_cast<std::uint32_t>(answer_tokens);
  auto generated = (*session)->generate(*prompt, go, [&](std::string_view piece) {
    answer += piece;
    return true;
  });
  if (!generated.ok()) return std::move(generated).error();
  if (!trim(answer).starts_with(test.expected_label)) {
    return Error(ErrorCode::kVerification,
                 "answered " + shown(trim(answer)) + ", expected " + shown(test.expected_label));
  }
  return ok_status();
}

}  // namespace linnet::ota
