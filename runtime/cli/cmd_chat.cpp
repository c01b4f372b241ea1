// `linnet chat m.linnet [--system TEXT] [--thinking | --no-thinking] [--max-tokens N]
//                       [sampling flags] [--threads N] [--context N] [--stats]`
// An interactive loop: each line on stdin is a user turn, the answer streams to stdout.
// "/reset" starts a new conversation, "/quit" (or end of input) leaves.
//
// The conversation is rendered exactly as the chat template renders it: earlier assistant
// turns appear without a thinking block. So the state is kept at the end of the last user
// turn (a snapshot); the next turn restores it and appends the answer as the template
// writes it, the new user turn, and the assistant opening. Only new tokens are computed.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "runtime/cli/cli_args.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/generation_flags.h"
#include "runtime/cli/session_setup.h"

namespace linnet::cli {
namespace {

Usage chat_usage() {
  return {"chat", std::string("usage: linnet chat m.linnet [--system TEXT] [--thinking|--no-thinking] [--max-tokens N] ") +
                      kSamplingUsage +
                      "\n"
                      "                   [--threads N] [--context N] [--kv-cache f16|int8|f32] [--skip-verify] [--stats]\n"
                      "                   [--packed-cache PATH] [--linear linnet|xnnpack|reference]\n"};
}

}  // namespace

int run_chat(Args args) {
  const Usage usage = chat_usage();
  if (wants_help(args)) return usage.help();
  std::string bundle, system;
  std::optional<bool> thinking;
  bool stats = false;
  GenerationFlags gen;
  SessionFlags session_flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const bool has_value = i + 1 < args.size();
    const FlagParse parsed = parse_flag_groups(args, i, gen, session_flags);
    if (parsed.kind == FlagParse::Kind::kBad) return usage.error(parsed.problem);
    if (parsed.kind == FlagParse::Kind::kTaken) continue;
    if (a == "--system") {
      if (!has_value) return usage.error(missing_value(a));
      system = std::string(args[++i]);
    } else if (a == "--thinking" || a == "--no-thinking") {
      thinking = a == "--thinking";
    } else if (a == "--stats") {
      stats = true;
    } else if (!a.empty() && a[0] != '-' && bundle.empty()) {
      bundle = std::string(a);
    } else {
      return usage.error(unknown_argument(a));
    }
  }
  if (bundle.empty()) return usage.error("no bundle given");
  const SessionOptions options = session_flags.options_for(bundle);
  auto loaded = open_session("chat", bundle, session_flags.model, options);
  if (!loaded) return 1;
  Session& session = *loaded->session;
  const Tokenizer& tokenizer = session.model().tokenizer();
  const GenerationOptions generation = gen.options(session);
  const bool interactive = ::isatty(0) != 0;

  ChatOptions turn_options;  // a turn without the assistant opening
  turn_options.add_generation_prompt = false;
  turn_options.parse_special_in_content = false;
  ChatOptions opening_options;
  opening_options.thinking = thinking;
  auto opening = encode_chat(tokenizer, session.chat_format(), {}, opening_options);
  if (!opening.ok()) {
    std::fprintf(stderr, "linnet chat: %s\n", opening.error().message().c_str());
    return 1;
  }

  SessionSnapshot after_user;  // state at the end of the last user turn
  bool have_turn = false;
  std::string answer;
  if (interactive) std::fprintf(stderr, "linnet chat: /reset for a new conversation, /quit to leave\n");
  for (;;) {
    if (interactive) {
      std::fputs("> ", stdout);
      std::fflush(stdout);
    }
    std::string line;
    if (!std::getline(std::cin, line)) break;
    if (line == "/quit" || line == "/exit") break;
    if (line == "/reset") {
      have_turn = false;
      session.reset();
      continue;
    }
    if (line.empty()) continue;

    std::vector<ChatMessage> messages;
    if (have_turn) {
      Status restored = session.load_snapshot(after_user);
      if (!restored.ok()) {
        std::fprintf(stderr, "linnet chat: %s\n", restored.error().message().c_str());
        return 1;
      }
      messages.push_back({ChatRole::kAssistant, answer});
    } else {
      session.reset();
      if (!system.empty()) messages.push_back({ChatRole::kSystem, system});
    }
    messages.push_back({ChatRole::kUser, line});
    auto turn = encode_chat(tokenizer, session.chat_format(), messages, turn_options);
    if (!turn.ok()) {
      std::fprintf(stderr, "linnet chat: %s\n", turn.error().message().c_str());
      continue;
    }
    if (static_cast<std::size_t>(session.position()) + turn->size() + opening->size() + 1 >=
        static_cast<std::size_t>(session.context_length())) {
      std::fprintf(stderr,
                   "linnet chat: the conversation is full (%d tokens); starting a new one (a larger --context N "
                   "holds a longer one)\n",
                   session.context_length());
      have_turn = false;
      session.reset();
      continue;
    }
    Status fed = session.prefill(*turn);
    Status saved = fed.ok() ? session.save_snapshot(after_user) : ok_status();
    if (!fed.ok() || !saved.ok()) {
      std::fprintf(stderr, "linnet chat: %s\n", (fed.ok() ? saved : fed).error().message().c_str());
      have_turn = false;
      continue;
    }
    have_turn = true;
    answer.clear();
    auto result = session.generate_continue(*opening, generation, [&](std::string_view piece) {
      answer.append(piece);
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return true;
    });
    std::fputc('\n', stdout);
    std::fflush(stdout);  // before the stats on stderr (cmd_run.cpp)
    if (!result.ok()) {
      std::fprintf(stderr, "linnet chat: %s\n", result.error().message().c_str());
      have_turn = false;
      continue;
    }
    if (stats) print_generation_stats(*result);
  }
  return 0;
}

}  // namespace linnet::cli
