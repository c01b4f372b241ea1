// The manifest's self-test run on a candidate bundle with the real session: the
// prompt as a chat user turn (after the optional system turn, thinking off), answered
// greedily. Passes when the answer starts with expected_label, or when its first
// token ids are expected_token_ids. The OTA agent calls it (SelfTestRunner) after
// the trial load and before switching.
#pragma once

#include <string>

#include "runtime/core/result.h"
#include "runtime/ota/update_file.h"

namespace linnet::ota {

struct SessionSelfTestOptions {
  int context_length = 1024;  // the prompt (<= 4 KiB of text) and the answer; threads: the board's
  int max_answer_tokens = 32;  // for expected_label
};

Status run_session_self_test(const std::string& bundle_path, const SelfTest& test,
                             const SessionSelfTestOptions& options = {});

}  // namespace linnet::ota
