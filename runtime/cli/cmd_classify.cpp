// `linnet classify m.linnet --labels SAFE,SPAM,ABUSE [--system TEXT] TEXT`
//     prints one JSON object: the top label, each label's probability (normalised over the
//     labels), tokens processed and milliseconds.
// `linnet classify m.linnet --labels ... [--system TEXT] --jsonl`
//     reads one JSON request per line on stdin, writes one JSON result per line on stdout:
//       {"id": 7, "text": "...", "system": "...", "labels": ["A", "B"], "expected": "A"}
//     The fields are the serial `classify` command's, read by its parser under its rules
//     (serve/classify_fields.h): "text" is required; "labels" 2..64 distinct non-empty
//     strings of at most 256 bytes; other fields are refused by name. "id" (any JSON value)
//     is echoed; "system" and "labels" default to the flags; "expected" adds "correct" to
//     the result and an accuracy to the summary.
//     A line that is not such a request gets {"line": N, "error": "..."} and processing
//     continues. A summary goes to stderr at the end. When the model's output was not
//     finite for any line (a damaged bundle), those lines get errors too and the exit
//     code is 1.
// `linnet classify m.linnet --bench [--runs N] [--system-tokens 60] [--message-tokens 30]`
//     classification latency and throughput with and without the prefix cache, on random
//     token ids (docs/classify.md).
// Common: [--prefix-cache FILE] keeps the --system prefix state in FILE (loaded when it
// matches the bundle and prefix, else rebuilt and saved); [--no-prefix-cache];
// [--score-end] also scores <|im_end|> after each label; [--skip-verify] does not hash the
// bundle at open (it is by default: a damaged bundle is refused); [--threads N] [--context N]
// [--kv-cache f16|int8|f32] [--packed-cache PATH] [--linear linnet|xnnpack|reference].
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/bench/classify_bench.h"
#include "runtime/cli/cli_args.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/session_setup.h"
#include "runtime/serve/classify_fields.h"
#include "runtime/session/classifier.h"

namespace linnet::cli {
namespace {

using Json = nlohmann::ordered_json;

Usage classify_usage() {
  return {"classify",
          "usage: linnet classify m.linnet --labels A,B,C [--system TEXT] TEXT\n"
          "       linnet classify m.linnet [--labels A,B,C] [--system TEXT] --jsonl < requests.jsonl\n"
          "       linnet classify m.linnet --bench [--runs N] [--system-tokens N] [--message-tokens N]\n"
          "options: [--prefix-cache FILE] [--no-prefix-cache] [--score-end] [--skip-verify] [--threads N]\n"
          "         [--context N] [--kv-cache f16|int8|f32] [--packed-cache PATH] [--linear linnet|xnnpack|reference] [--json]\n"
          "--jsonl: --labels is the default for lines without their own \"labels\"\n"};
}

std::vector<std::string> split_labels(std::string_view list) {
  std::vector<std::string> labels;
  while (true) {
    const std::size_t comma = list.find(',');
    labels.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return labels;
}

double round_to(double v, double scale) { return std::round(v * scale) / scale; }

Json result_json(const Classification& c, std::span<const std::string> labels) {
  Json j;
  j["label"] = labels[c.top];
  Json probabilities = Json::object();
  for (std::size_t i = 0; i < labels.size(); ++i) probabilities[labels[i]] = round_to(c.probabilities[i], 1e6);
  j["probabilities"] = std::move(probabilities);
  j["prompt_tokens"] = c.prompt_tokens;
  j["tokens_processed"] = c.tokens_processed;
  j["prefix_cache_hit"] = c.prefix_cache_hit;
  j["ms"] = Json{{"total", round_to(c.total_ms, 1e3)},
                 {"prefix", round_to(c.prefix_ms, 1e3)},
                 {"message", round_to(c.message_ms, 1e3)},
                 {"labels", round_to(c.labels_ms, 1e3)}};
  return j;
}

struct Flags {
  std::string bundle;
  std::vector<std::string> labels;
  std::string system;
  std::optional<std::string> text;
  bool jsonl = false;
  bool bench = false;
  bool json = false;  // --bench output as JSON
  std::string prefix_cache_file;
  ClassifierOptions classifier;
  SessionOptions session;
  int runs = 10;
  int system_tokens = 60;
  int message_tokens = 30;
};

// Loads the --system prefix state from the file, or computes and saves it.
void prepare_prefix_file(Classifier& classifier, Session& session, const Flags& f) {
  Status loaded = classifier.load_prefix(session, f.system, f.prefix_cache_file);
  if (loaded.ok()) {
    std::fprintf(stderr, "linnet classify: prefix state loaded from %s\n", f.prefix_cache_file.c_str());
    return;
  }
  if (loaded.error().code() != ErrorCode::kNotFound) {
    std::fprintf(stderr, "linnet classify: %s; rebuilding it\n", loaded.error().message().c_str());
  }
  Status saved = classifier.save_prefix(session, f.system, f.prefix_cache_file);
  if (saved.ok()) {
    std::fprintf(stderr, "linnet classify: prefix state saved to %s\n", f.prefix_cache_file.c_str());
  } else {
    std::fprintf(stderr, "linnet classify: %s (continuing without the file)\n", saved.error().message().c_str());
  }
}

int classify_one(Classifier& classifier, Session& session, const Flags& f) {
  auto r = classifier.classify(session, {f.system, *f.text, f.labels});
  if (!r.ok()) {
    std::fprintf(stderr, "linnet classify: %s\n", r.error().message().c_str());
    if (r.error().code() == ErrorCode::kOutOfRange) suggest_larger_context("classify", session);
    return 1;
  }
  std::printf("%s\n", result_json(*r, f.labels).dump().c_str());
  return 0;
}

// One request line -> one result line. Never throws (nlohmann is used without exceptions).
// `numeric` is set when the model's output was not finite (the error is then about the
// model, not the line); `did_not_fit` when the prompt was longer than the context.
Json handle_line(Classifier& classifier, Session& session, const Flags& f, const std::string& line,
                 std::size_t line_number, bool& has_expected, bool& correct, bool& numeric, bool& did_not_fit) {
  Json out;
  auto fail = [&](const std::string& message) {
    Json e;
    e["line"] = line_number;
    if (out.contains("id")) e["id"] = out["id"];
    e["error"] = message;
    return e;
  };
  const auto request = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) return fail("not valid JSON");
  if (!request.is_object()) return fail("a request must be a JSON object");
  if (auto id = request.find("id"); id != request.end()) out["id"] = Json(*id);
  // The serial `classify` command's parser: the same fields under the same rules.
  auto fields = serve::read_classify_fields(request, {"expected"}, /*labels_required=*/false);
  if (!fields.ok()) return fail(fields.error().message());
  const std::string system = fields->system.value_or(f.system);
  const std::vector<std::string> labels = fields->labels.value_or(f.labels);
  if (labels.empty()) return fail("no labels (give --labels or \"labels\")");
  std::optional<std::string> expected;
  if (auto e = request.find("expected"); e != request.end()) {
    if (!e->is_string()) return fail("field 'expected' must be a string");
    expected = e->get<std::string>();
  }
  auto r = classifier.classify(session, {system, fields->text, labels});
  if (!r.ok()) {
    numeric = r.error().code() == ErrorCode::kNumeric;
    did_not_fit = r.error().code() == ErrorCode::kOutOfRange;
    return fail(r.error().message());
  }
  Json result = result_json(*r, labels);
  for (auto& [key, value] : result.items()) out[key] = value;
  if (expected) {
    has_expected = true;
    correct = labels[r->top] == *expected;
    out["expected"] = *expected;
    out["correct"] = correct;
  }
  return out;
}

// Reads one line of at most kMaxLineBytes into `line` (without the terminator). Returns
// false at the end of input; `too_long` is set (and the rest of the line skipped) when the
// line is longer, so one huge line cannot exhaust the memory.
constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;

bool read_line(std::FILE* in, std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  int c;
  bool any = false;
  while ((c = std::fgetc(in)) != EOF) {
    any = true;
    if (c == '\n') return true;
    if (line.size() < kMaxLineBytes) {
      line.push_back(static_cast<char>(c));
    } else {
      too_long = true;
    }
  }
  return any;
}

int classify_jsonl(Classifier& classifier, Session& session, const Flags& f) {
  std::string line;
  std::size_t line_number = 0, requests = 0, errors = 0, judged = 0, right = 0, hits = 0, numeric_errors = 0;
  std::vector<double> ms;
  bool too_long = false;
  bool told_context = false;
  while (read_line(stdin, line, too_long)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!too_long && line.find_first_not_of(" \t") == std::string::npos) continue;
    ++requests;
    bool has_expected = false, correct = false, numeric = false, did_not_fit = false;
    Json out;
    if (too_long) {
      out = Json{{"line", line_number}, {"error", "line longer than " + std::to_string(kMaxLineBytes) + " bytes"}};
    } else {
      try {  // the boundary: nothing a line holds may end the stream
        out = handle_line(classifier, session, f, line, line_number, has_expected, correct, numeric, did_not_fit);
      } catch (const std::exception& e) {
        out = Json{{"line", line_number}, {"error", std::string("internal error: ") + e.what()}};
      }
    }
    if (did_not_fit && !told_context) {
      suggest_larger_context("classify", session);
      told_context = true;
    }
    if (out.contains("error")) {
      ++errors;
      if (numeric) ++numeric_errors;
    } else {
      ms.push_back(out["ms"]["total"].get<double>());
      if (out["prefix_cache_hit"].get<bool>()) ++hits;
      if (has_expected) {
        ++judged;
        if (correct) ++right;
      }
    }
    // Errors are replaced, never thrown: a label or message with invalid UTF-8 is escaped.
    std::printf("%s\n", out.dump(-1, ' ', false, Json::error_handler_t::replace).c_str());
    std::fflush(stdout);
  }
  std::string summary = "linnet classify: " + std::to_string(requests) + " requests, " +
                        std::to_string(errors) + " errors";
  if (judged > 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ", accuracy %zu/%zu (%.1f%%)", right, judged,
                  100.0 * static_cast<double>(right) / static_cast<double>(judged));
    summary += buf;
  }
  if (!ms.empty()) {
    std::sort(ms.begin(), ms.end());
    char buf[128];
    std::snprintf(buf, sizeof buf, ", %.1f ms mean, %.1f ms median, prefix cache hits %zu/%zu",
                  std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size()),
                  ms[ms.size() / 2], hits, ms.size());
    summary += buf;
  }
  std::fprintf(stderr, "%s\n", summary.c_str());
  if (numeric_errors > 0) {
    // A damaged model is not a bad line: the run fails, so a script cannot miss it.
    std::fprintf(stderr, "linnet classify: the model's output was not finite for %zu requests (damaged weights?)\n",
                 numeric_errors);
    return 1;
  }
  return 0;
}

}  // namespace

int run_classify(Args args) {
  const Usage usage = classify_usage();
  if (wants_help(args)) return usage.help();
  Flags f;
  SessionFlags session_flags;
  bool no_cache = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const FlagParse session_parsed = session_flags.parse(args, i);
    if (session_parsed.kind == FlagParse::Kind::kBad) return usage.error(session_parsed.problem);
    if (session_parsed.kind == FlagParse::Kind::kTaken) continue;
    const bool has_value = i + 1 < args.size();
    const bool takes_value = a == "--labels" || a == "--system" || a == "--prefix-cache" || a == "--runs" ||
                             a == "--system-tokens" || a == "--message-tokens";
    if (takes_value && !has_value) return usage.error(missing_value(a));
    if (a == "--labels") {
      f.labels = split_labels(args[++i]);
      for (const std::string& label : f.labels) {
        if (label.empty()) return usage.error("--labels has an empty label ('" + std::string(args[i]) + "')");
      }
      if (auto problem = serve::classify_labels_problem(f.labels)) {
        return usage.error("--labels wants " + *problem + " (got '" + std::string(args[i]) + "')");
      }
    } else if (a == "--system") {
      f.system = std::string(args[++i]);
    } else if (a == "--jsonl") {
      f.jsonl = true;
    } else if (a == "--bench") {
      f.bench = true;
    } else if (a == "--json") {
      f.json = true;
    } else if (a == "--prefix-cache") {
      f.prefix_cache_file = std::string(args[++i]);
    } else if (a == "--no-prefix-cache") {
      no_cache = true;
    } else if (a == "--score-end") {
      f.classifier.score_end_token = true;
    } else if (a == "--runs" || a == "--system-tokens" || a == "--message-tokens") {
      int& target = a == "--runs" ? f.runs : a == "--system-tokens" ? f.system_tokens : f.message_tokens;
      if (auto problem = read_int(a, args[++i], 1, target)) return usage.error(*problem);
    } else if (!a.empty() && a[0] != '-' && f.bundle.empty()) {
      f.bundle = std::string(a);
    } else if (!a.empty() && a[0] != '-' && !f.text && !f.jsonl) {
      f.text = std::string(a);
    } else if (a == "--" && has_value && !f.text) {
      f.text = std::string(args[++i]);  // a message that starts with '-'
    } else if (!a.empty() && a[0] != '-' && f.text) {
      return usage.error("one message at a time ('" + std::string(a) +
                         "' follows the message; quote a message with spaces, or use --jsonl)");
    } else {
      return usage.error(unknown_argument(a));
    }
  }
  if (f.bundle.empty()) return usage.error("no bundle given");
  const int modes = (f.text ? 1 : 0) + (f.jsonl ? 1 : 0) + (f.bench ? 1 : 0);
  if (modes == 0) return usage.error("no message (give TEXT, --jsonl or --bench)");
  if (modes > 1) return usage.error("give one of TEXT, --jsonl or --bench");
  // --jsonl lines may carry their own labels (a line without them and without --labels
  // gets an error line).
  if (f.text && f.labels.empty()) return usage.error("--labels is required");
  if (no_cache) f.classifier.prefix_cache_entries = 0;
  f.session = session_flags.options_for(f.bundle);

  auto loaded = open_session("classify", f.bundle, session_flags.model, f.session);
  if (!loaded) return 1;
  Session& session = *loaded->session;
  if (f.bench) {
    bench::ClassifyBenchOptions b;
    b.runs = f.runs;
    b.system_tokens = f.system_tokens;
    b.message_tokens = f.message_tokens;
    b.labels = f.labels;
    b.score_end_token = f.classifier.score_end_token;
    b.json = f.json;
    b.bundle_path = f.bundle;
    return bench::run_classify_bench(session, b);
  }

  Classifier classifier(f.classifier);
  if (!f.prefix_cache_file.empty() && !no_cache) prepare_prefix_file(classifier, session, f);
  return f.jsonl ? classify_jsonl(classifier, session, f) : classify_one(classifier, session, f);
}

}  // namespace linnet::cli
