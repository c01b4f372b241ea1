#include "tests/golden/golden_checks.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "model/executor.h"

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

std::string GoldenMeasures::summary(const std::string& label) const {
  auto line = [](const char* what, const LogitsComparison& c) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "  %-22s rows %4d  max_abs %.3g  top1 %d/%d (%.2f%%)  mean KL %.3g\n", what, c.rows,
                  static_cast<double>(c.max_abs), c.argmax_matches, c.rows,
                  c.rows ? 100.0 * c.argmax_matches / c.rows : 0.0, c.rows ? c.kl_sum / c.rows : 0.0);
    return std::string(buf);
  };
  LogitsComparison all;
  for (const LogitsComparison* c : {&prompts, &greedy, &long_one, &long_split}) {
    all.rows += c->rows;
    all.argmax_matches += c->argmax_matches;
    all.kl_sum += c->kl_sum;
    all.max_abs = std::max(all.max_abs, c->max_abs);
  }
  return label + ":\n" + line("prompts (prefill)", prompts) + line("greedy (decode)", greedy) +
         line("long 700 prefill", long_one) + line("long 636+64 decode", long_split) + line("all", all) +
         "  greedy generations " + (greedy_identical ? "identical" : "DIFFER") + "\n";
}

GoldenMeasures run_golden(const ModelWeights& weights, const ReferenceOutputs& ref,
                          const ExecutorOptions& options) {
  GoldenMeasures m;
  const int V = weights.hp.vocab_size;
  const std::size_t v = sz(V);
  Executor exec = make_executor(weights, 1024, options);

  for (int i = 0; i < 4; ++i) {
    const std::string p = "prompt" + std::to_string(i);
    const std::vector<std::int32_t> ids = ref.ids(p + ".input_ids");
    std::vector<float> logits(ids.size() * v);
    exec.reset();
    Status s = exec.forward(ids, LogitsMode::kAll, logits);
    EXPECT_TRUE(s.ok()) << p << ": " << (s.ok() ? "" : s.error().message());
    m.prompts.add(ref.floats(p + ".logits"), logits, V);
  }

  for (int j = 0; j < 2; ++j) {
    const std::string g = "gen" + std::to_string(j);
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

  const std::vector<std::int32_t> long_ids = ref.ids("long.input_ids");
  const std::vector<float> tail = ref.floats("long.logits_tail");
  const std::size_t T = long_ids.size(), tail_rows = tail.size() / v, split = T - tail_rows;
  {
    std::vector<float> logits(T * v);
    exec.reset();
    Status s = exec.forward(long_ids, LogitsMode::kAll, logits);
    EXPECT_TRUE(s.ok()) << "long: " << (s.ok() ? "" : s.error().message());
    m.long_one.add(tail, std::span<const float>(logits).subspan(split * v), V);
  }
  {
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
