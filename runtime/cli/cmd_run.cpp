// `linnet run m.linnet --prompt TEXT [--chat] [--system TEXT] [--thinking | --no-thinking]
//                      [--max-tokens N] [--temperature X] [--top-k N] [--top-p X]
//                      [--min-p X] [--repetition-penalty X] [--seed N] [--threads N]
//                      [--context N] [--kv-cache f16|int8|f32] [--stats]
//                      [--packed-cache PATH] [--linear linnet|xnnpack|reference]`
// Streams the answer to stdout. Without --chat the prompt is raw text (chat markup in it
// is honoured); with --chat it is the user turn of a chat prompt (markup in it is plain
// text). Sampling defaults come from the bundle; --temperature 0 is greedy. Generation
// stops at <|im_end|>, <|endoftext|> or --max-tokens.
#include <cstdio>
#include <string>

#include "runtime/cli/cli_args.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/generation_flags.h"
#include "runtime/cli/session_setup.h"

namespace linnet::cli {
namespace {

Usage run_usage() {
  return {"run", std::string("usage: linnet run m.linnet --prompt TEXT [--chat] [--system TEXT] [--thinking|--no-thinking]\n"
                             "                  [--max-tokens N] ") +
                     kSamplingUsage +
                     "\n"
                     "                  [--threads N] [--context N] [--kv-cache f16|int8|f32] [--skip-verify] [--stats]\n"
                     "                  [--packed-cache PATH] [--linear linnet|xnnpack|reference]\n"};
}

}  // namespace

int run_run(Args args) {
  const Usage usage = run_usage();
  if (wants_help(args)) return usage.help();
  std::string bundle;
  std::optional<std::string> prompt;
  std::string system;
  bool chat = false, stats = false;
  std::optional<bool> thinking;
  GenerationFlags gen;
  SessionFlags session_flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const bool has_value = i + 1 < args.size();
    const FlagParse parsed = parse_flag_groups(args, i, gen, session_flags);
    if (parsed.kind == FlagParse::Kind::kBad) return usage.error(parsed.problem);
    if (parsed.kind == FlagParse::Kind::kTaken) continue;
    if (a == "--prompt" || a == "--system") {
      if (!has_value) return usage.error(missing_value(a));
      if (a == "--prompt") {
        prompt = std::string(args[++i]);
      } else {
        system = std::string(args[++i]);
      }
    } else if (a == "--chat") {
      chat = true;
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
  if (!prompt) return usage.error("--prompt is required");
  if (!chat && (!system.empty() || thinking)) {
    return usage.error("--system and --thinking need --chat");
  }
  const SessionOptions options = session_flags.options_for(bundle);
  auto loaded = open_session("run", bundle, session_flags.model, options);
  if (!loaded) return 1;
  Session& session = *loaded->session;

  auto ids = chat ? session.encode_chat(system, *prompt, thinking) : session.model().tokenizer().encode(*prompt);
  if (!ids.ok()) {
    std::fprintf(stderr, "linnet run: %s\n", ids.error().message().c_str());
    return 1;
  }
  if (ids->empty()) {
    std::fprintf(stderr, "linnet run: the prompt has no tokens\n");
    return 1;
  }
  const GenerationOptions generation = gen.options(session);
  auto result = session.generate(*ids, generation, [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  // The answer ends its own line, flushed before the stats go to stderr: with both streams
  // on one file or pipe the stats line then starts a line of its own.
  std::fputc('\n', stdout);
  std::fflush(stdout);
  if (!result.ok()) {
    std::fprintf(stderr, "linnet run: %s\n", result.error().message().c_str());
    if (result.error().code() == ErrorCode::kOutOfRange) suggest_larger_context("run", session);
    return 1;
  }
  if (stats) print_generation_stats(*result);
  return 0;
}

}  // namespace linnet::cli
