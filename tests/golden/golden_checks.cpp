#include "tests/golden/golden_checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "runtime/model/executor.h"

namespace linnet::testing {
namespace {

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

Executor make_executor(const ModelWeights& weights, int context, ExecutorOptions options) {
  options.context_length = context;
  auto e = Executor::create(weights, options);
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message());
  return std::move(e).value();
}

}  // namespace

ExecutorOptions reference_path_options() {
  ExecutorOptions o;
  o.linear = LinearImpl::kReference;
  o.reference_kernels = true;
  o.kv_cache = KvCacheType::kF32;
  return o;
}

ExecutorOptions default_path_options() { return ExecutorOptions{}; }

LogitsComparison GoldenMeasures::all() const {
  LogitsComparison sum;
  for (const LogitsComparison* c : {&prompts, &greedy, &long_one, &long_split}) {
    sum.rows += c->rows;
    sum.argmax_matches += c->argmax_matches;
    sum.kl_sum += c->kl_sum;
    sum.max_abs = std::max(sum.max_abs, c->max_abs);
  }
  return sum;
}

std::string GoldenMeasures::summary(const std::string& label) const {
  auto line = [](const std::string& what, const LogitsComparison& c) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "  %-22s rows %4d  max_abs %.3g  top1 %d/%d (%.2f%%)  mean KL %.3g\n", what.c_str(),
                  c.rows, static_cast<double>(c.max_abs), c.argmax_matches, c.rows,
                  c.rows ? 100.0 * c.argmax_matches / c.rows : 0.0, c.rows ? c.kl_sum / c.rows : 0.0);
    return std::string(buf);
  };
  const std::string not_run = "not run\n";
  auto row = [&](const std::string& what, bool run, const LogitsComparison& c) {
    return run ? line(what, c) : "  " + what + std::string(what.size() < 22 ? 23 - what.size() : 1, ' ') + not_run;
  };
  // "long 1100 prefill", "long 1036+64 decode"; without the token count when neither ran.
  const int T = long_prompt_tokens, tail = 64;
  const std::string long_prefill = T > 0 ? "long " + std::to_string(T) + " prefill" : "long prefill";
  const std::string long_decode =
      T > 0 ? "long " + std::to_string(T - tail) + "+" + std::to_string(tail) + " decode" : "long decode";
  return label + ":\n" + row("prompts (prefill)", cases.prompts, prompts) +
         row("greedy (decode)", cases.greedy, greedy) + row(long_prefill, cases.long_prefill, long_one) +
         row(long_decode, cases.long_decode, long_split) +
         line("all", all()) + "  greedy generations " +
         (!cases.greedy ? "not run" : greedy_identical ? "identical" : "DIFFER") + "\n";
}

std::string GoldenMeasures::figures_line(const std::string& label) const {
  auto figures = [](const LogitsComparison& c) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "top1 %.4f meanKL %.3g maxabs %.3g rows %d",
                  c.rows ? static_cast<double>(c.argmax_matches) / c.rows : 0.0, c.rows ? c.kl_sum / c.rows : 0.0,
                  static_cast<double>(c.max_abs), c.rows);
    return std::string(buf);
  };
  return "golden figures " + label + ": prompts " + (cases.prompts ? figures(prompts) : std::string("not run")) +
         " | all " + figures(all()) + " | greedy " +
         (!cases.greedy ? "not run" : greedy_identical ? "identical" : "DIFFER") + "\n";
}

GoldenMeasures run_golden(const ModelWeights& weights, const ReferenceOutputs& ref,
                          const ExecutorOptions& options, GoldenCases cases) {
  GoldenMeasures m;
  const int V = weights.hp.vocab_size;
  const std::size_t v = sz(V);
  const std::vector<std::int32_t> long_ids = ref.ids("long.input_ids");
  // Room for the long prompt (tiny-c's is 1100 tokens); 1024 at least, as before tiny-c.
  Executor exec = make_executor(weights, std::max(1024, static_cast<int>(long_ids.size())), options);

  m.cases = cases;
  // As many prompts and generations as the reference holds; the tests check the counts.
  for (int i = 0; cases.prompts && ref.has("prompt" + std::to_string(i) + ".input_ids"); ++i) {
    const std::string p = "prompt" + std::to_string(i);
    const std::vector<std::int32_t> ids = ref.ids(p + ".input_ids");
    std::vector<float> logits(ids.size() * v);
    exec.reset();
    Status s = exec.forward(ids, LogitsMode::kAll, logits);
    EXPECT_TRUE(s.ok()) << p << ": " << (s.ok() ? "" : s.error().message());
    m.prompts.add(ref.floats(p + ".logits"), logits, V);
  }

  for (int j = 0; cases.greedy && ref.has("gen" + std::to_string(j) + ".input_ids"); ++j) {
    const std::string g = "gen" + std::to_string(j);
    ++m.generations;
    const std::vector<std::int32_t> ids = ref.ids(g + ".input_ids");
    const std::vector<std::int32_t> out_ids = ref.ids(g + ".output_ids");
    const std::vector<float> step_logits = ref.floats(g + ".step_logits");
    std::vector<float> logits(v);
    exec.reset();
    Status s = exec.forward(ids, LogitsMode::kLast, logits);
    EXPECT_TRUE(s.ok()) << g << ": " << (s.ok() ? "" : s.error().message());
    for (std::size_t k = 0; k < out_ids.size(); ++k) {
      m.greedy.add(std::span<const float>(step_logits).subspan(k * v, v), logits, V);
      const std::int32_t chosen = argmax(logits);
      if (chosen != out_ids[k]) m.greedy_identical = false;
      if (k + 1 < out_ids.size()) {
        // Feed the reference's token (equal to ours when the generation is identical).
        const std::int32_t next[] = {out_ids[k]};
        s = exec.forward(next, LogitsMode::kLast, logits);
        EXPECT_TRUE(s.ok()) << g << " step " << k << ": " << (s.ok() ? "" : s.error().message());
      }
    }
  }

  if (!cases.long_prefill && !cases.long_decode) return m;
  m.long_prompt_tokens = static_cast<int>(long_ids.size());
  const std::vector<float> tail = ref.floats("long.logits_tail");
  const std::size_t T = long_ids.size(), tail_rows = tail.size() / v, split = T - tail_rows;
  if (cases.long_prefill) {
    std::vector<float> logits(T * v);
    exec.reset();
    Status s = exec.forward(long_ids, LogitsMode::kAll, logits);
    EXPECT_TRUE(s.ok()) << "long: " << (s.ok() ? "" : s.error().message());
    m.long_one.add(tail, std::span<const float>(logits).subspan(split * v), V);
  }
  if (cases.long_decode) {
    exec.reset();
    Status s = exec.forward(std::span<const std::int32_t>(long_ids).first(split), LogitsMode::kNone, {});
    EXPECT_TRUE(s.ok()) << "long prefill: " << (s.ok() ? "" : s.error().message());
    std::vector<float> logits(v);
    for (std::size_t k = 0; k < tail_rows; ++k) {
      s = exec.forward(std::span<const std::int32_t>(long_ids).subspan(split + k, 1), LogitsMode::kLast, logits);
      EXPECT_TRUE(s.ok()) << "long decode " << k << ": " << (s.ok() ? "" : s.error().message());
      m.long_split.add(std::span<const float>(tail).subspan(k * v, v), logits, V);
    }
    EXPECT_EQ(exec.position(), static_cast<int>(T));
  }
  return m;
}

std::vector<float> hidden_state_errors(const ModelWeights& weights, const ReferenceOutputs& ref,
                                       const ExecutorOptions& options) {
  const int L = weights.hp.num_layers;
  const std::size_t D = sz(weights.hp.hidden_size);
  const std::vector<std::int32_t> ids = ref.ids("prompt0.input_ids");
  // Stages 0..L+1 as the executor reports them, [T, D] each.
  std::vector<std::vector<float>> stages(sz(L + 2), std::vector<float>(ids.size() * D));
  Executor exec = make_executor(weights, 256, options);
  exec.set_hidden_observer([&](int stage, int first, int count, std::span<const float> hidden) {
    std::copy(hidden.begin(), hidden.end(), stages[sz(stage)].begin() + static_cast<std::ptrdiff_t>(sz(first) * D));
    (void)count;
  });
  std::vector<float> logits(ids.size() * sz(weights.hp.vocab_size));
  Status s = exec.forward(ids, LogitsMode::kAll, logits);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message());
  // Reference hidden.l for l < L is stage l; the last reference entry (hidden.L) is after
  // the final norm, i.e. stage L+1.
  std::vector<float> errors;
  for (int l = 0; l <= L; ++l) {
    const std::vector<float> expected = ref.floats("prompt0.hidden." + std::to_string(l));
    const int stage = l < L ? l : L + 1;
    errors.push_back(max_abs_diff(expected, stages[sz(stage)]));
  }
  return errors;
}

}  // namespace linnet::testing
