// Shared by the session commands (run, chat, score, classify): number parsing and opening a model + session with errors printed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/cli/cli_args.h"
#include "runtime/cli/commands.h"
#include "runtime/session/model.h"
#include "runtime/session/session.h"

namespace linnet::cli {

bool parse_int(std::string_view s, int& out);
bool parse_u64(std::string_view s, std::uint64_t& out);
bool parse_float(std::string_view s, float& out);

// The session flags of run, chat, classify and serve: --threads N, --context N (positive),
// --kv-cache f16|int8|f32, --packed-cache PATH, --linear linnet|xnnpack|reference, and
// --skip-verify (do not hash the bundle at open). Each default is ExecutorOptions's
// (threads: the board's).
struct SessionFlags {
  // Looks at args[i] (and its value, advancing i past it).
  FlagParse parse(Args args, std::size_t& i);
  // The options for `bundle`: XNNPACK's packed weights cached beside it (<bundle>.xnnpack)
  // unless --packed-cache named another file.
  SessionOptions options_for(const std::string& bundle) const;

  SessionOptions options;
  ModelOptions model;  // --skip-verify clears model.verify_sha256
  std::optional<std::string> packed_cache;
};

struct LoadedSession {
  std::unique_ptr<Model> model;
  std::unique_ptr<Session> session;
};

// Opens `path` (checking its SHA-256 unless model_options says not to) and creates a
// session; on failure prints "linnet <command>: <message>" to stderr and returns nothing.
std::optional<LoadedSession> open_session(std::string_view command, const std::string& path,
                                          const ModelOptions& model_options, const SessionOptions& options);

// After an error of code kOutOfRange (a prompt longer than the context): "linnet <command>:
// a prompt did not fit the context of N tokens; give a larger --context N (this model takes
// up to M)". Said once per run.
void suggest_larger_context(std::string_view command, const Session& session);

}  // namespace linnet::cli
