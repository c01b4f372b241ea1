// Golden tests of the executor on bundles made by the real converter (linnet_convert_lib)
// from the reference models of ../shared/models, in f32, f16, q8 and q4, loaded with
// Bundle::open. Every check runs for each model:
//   qwen35-tiny-a: small heads (head_dim 64, DeltaNet dk = dv = 32), 8 layers;
//   qwen35-tiny-c: the real models' per-head shapes (head_dim 256, DeltaNet dk = dv = 128,
//                  16 key / 32 value heads), so the kernels run at the tile sizes of 0.8B-9B.
// What is checked (bounds per model in kTolerances, with what was measured):
//   f32: every logit within 5e-3 of the reference, identical argmax, hidden states, greedy
//        generations identical, the long prompt in one prefill and as prefill + 64 decode.
//   f16: every logit within a bound, greedy generations identical.
//   q8/q4: top-1 agreement and mean KL divergence on the prompts (tiny-c: and the long
//        prompt), against bounds set from measurement; q8 (and tiny-c's q4) keep the greedy
//        generations identical. Every figure is printed ("golden figures" lines) and recorded
//        as test properties.
//   int8 KV cache (f32 weights): every logit within a bound, identical argmax, mean KL
//        bounded, the greedy generations identical.
// Every check runs on two paths: the reference kernels (the oracle) and the default
// options (XNNPACK linear layers and whatever else is fast on this CPU). Slow targets (qemu,
// sanitizers) run a subset of tiny-c's cases: cases_for.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <utility>

#include "runtime/bundle/bundle.h"
#include "converter/lib/convert.h"
#include "runtime/model/executor.h"
#include "tests/golden/checkpoint_weights.h"
#include "tests/golden/golden_checks.h"

namespace linnet::testing {
namespace {

namespace fs = std::filesystem;
using convert::QuantMode;

// Agreement of a quantized bundle with the reference logits: top-1 agreement above
// min_top1_permille / 1000 of the rows, mean KL (nats) below max_mean_kl.
struct AgreementBound {
  int min_top1_permille;
  double max_mean_kl;
};

// Bounds that differ between the models. tiny-a's are the ones it had before tiny-c was added.
struct BundleTolerances {
  const GoldenModel* model;
  float f16_max_abs;
  float int8_kv_max_abs;
  double int8_kv_max_mean_kl;  // per case (prompts, greedy, long prefill, long decode)
  AgreementBound q8_prompts;   // on the prompts' rows
  AgreementBound q4_prompts;
  // On the long prompt's 64 rows, in one prefill and through the decode path (when run);
  // nullopt: not bounded.
  std::optional<AgreementBound> q8_long;
  std::optional<AgreementBound> q4_long;
  bool q4_keeps_greedy_generations;
};

const BundleTolerances kTolerances[] = {
    // tiny-a. int8 KV cache measured: max 0.084, KL 3.9e-7 (x86, and NEON under qemu
    // cortex-a72); with the SDOT decode (cortex-a76) max 0.118, KL 6.3e-7. The q8/q4 bounds
    // only catch a broken path (a wrong scale or layout gives near-zero agreement).
    {.model = &kTinyA,
     .f16_max_abs = 5e-2f,
     .int8_kv_max_abs = 0.15f,
     .int8_kv_max_mean_kl = 1e-5,
     .q8_prompts = {.min_top1_permille = 900, .max_mean_kl = 0.05},
     .q4_prompts = {.min_top1_permille = 700, .max_mean_kl = 0.5},
     .q8_long = std::nullopt,
     .q4_long = std::nullopt,
     .q4_keeps_greedy_generations = false},
    // tiny-c, measured in Dec 2026: natively on x86 (default path: AVX2 tier and XNNPACK;
    // and the reference kernels) and under qemu cortex-a76 and cortex-a72 (default path,
    // the subset of cases cases_for runs there; both CPUs gave the same figures).
    //   f16: max abs 2.7e-3 x86, 2.3e-3 qemu (its bf16 weights are exact in f16: what remains
    //     is the f32 path's rounding).
    //   int8 KV cache: max abs 0.037, mean KL per case at most 1.4e-6 (x86); 0.023 and
    //     6.5e-9 under qemu (greedy cases only).
    //   q8 prompts: top1 125/129 (0.969), mean KL 3.7e-3, x86 and qemu (XNNPACK qd8-f32-qc8w);
    //     129/129 and 1.7e-4 with the reference kernels (f32 activations). Long prompt
    //     (x86): 64/64, mean KL 4.1e-6.
    //   q4 prompts: top1 119/129 (0.922), mean KL 0.058 under qemu (XNNPACK qd8-f32-qb4w);
    //     121/129 and 0.057 with the reference kernels. Long prompt through the decode path:
    //     63/64, mean KL 2.5e-5 (qemu; the reference kernels: 63/64, 2.4e-5). Greedy
    //     generations identical.
    // The bounds leave room for issue 12's new q4/q8 formats: re-measure after them (grep
    // "golden figures" in the test output).
    {.model = &kTinyC,
     .f16_max_abs = 1e-2f,
     .int8_kv_max_abs = 0.1f,
     .int8_kv_max_mean_kl = 1e-5,
     .q8_prompts = {.min_top1_permille = 900, .max_mean_kl = 0.015},
     .q4_prompts = {.min_top1_permille = 850, .max_mean_kl = 0.15},
     .q8_long = AgreementBound{.min_top1_permille = 950, .max_mean_kl = 1e-4},
     .q4_long = AgreementBound{.min_top1_permille = 900, .max_mean_kl = 1e-3},
     .q4_keeps_greedy_generations = true},
};

const BundleTolerances& tolerances_of(const GoldenModel& model) {
  for (const BundleTolerances& t : kTolerances)
    if (t.model == &model) return t;
  ADD_FAILURE() << "no tolerances for " << model.name;
  return kTolerances[0];
}

// Converts each model once per quantization into a temporary directory, removed at exit.
class BundleCache {
 public:
  BundleCache() {
    dir_ = fs::temp_directory_path() / ("linnet-golden-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  ~BundleCache() {
    bundles_.clear();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  const Bundle* get(const GoldenModel& model, QuantMode mode) {
    const auto key = std::make_pair(std::string(model.name), mode);
    auto it = bundles_.find(key);
    if (it != bundles_.end()) return it->second.get();
    convert::ConvertOptions options;
    options.hf_dir = model.dir();
    options.output =
        (dir_ / (std::string(model.name) + "-" + std::string(convert::quant_mode_name(mode)) + ".linnet")).string();
    options.quant = mode;
    options.converter_version = "golden-test";
    auto report = convert::convert_checkpoint(options);
    EXPECT_TRUE(report.ok()) << model.name << ": " << (report.ok() ? "" : report.error().message());
    if (!report.ok()) return nullptr;
    auto bundle = Bundle::open(options.output, {});
    EXPECT_TRUE(bundle.ok()) << model.name << ": " << (bundle.ok() ? "" : bundle.error().message());
    if (!bundle.ok()) return nullptr;
    return (bundles_[key] = std::make_unique<Bundle>(std::move(bundle).value())).get();
  }

 private:
  fs::path dir_;
  std::map<std::pair<std::string, QuantMode>, std::unique_ptr<Bundle>> bundles_;
};

enum class Path { kReference, kDefault };

// The golden checks, each on its bundle type and KV cache.
enum class Check { kF32, kF16, kInt8Kv, kQ8, kQ4 };

// qemu (every cross build's tests) and the sanitizer build: minutes where a native build
// takes seconds.
#if defined(LINNET_TEST_UNDER_EMULATOR) || defined(__SANITIZE_ADDRESS__)
constexpr bool kSlowTarget = true;
#else
constexpr bool kSlowTarget = false;
#endif

struct GoldenParam {
  const GoldenModel* model;
  Path path;
};
void PrintTo(const GoldenParam& param, std::ostream* os) {
  *os << param.model->name << (param.path == Path::kReference ? ", reference kernels" : ", default path");
}

class GoldenBundle : public ::testing::TestWithParam<GoldenParam> {
 protected:
  static void SetUpTestSuite() {
    if (cache_ == nullptr) cache_ = new BundleCache();
  }
  static void TearDownTestSuite() {
    delete cache_;
    cache_ = nullptr;
    references_.clear();
  }

  static const GoldenModel& model() { return *GetParam().model; }
  static const BundleTolerances& tolerances() { return tolerances_of(model()); }
  static ExecutorOptions options() {
    return GetParam().path == Path::kReference ? reference_path_options() : default_path_options();
  }
  static const char* path_name() { return GetParam().path == Path::kReference ? "reference" : "default"; }

  // Opened once per model; null (and a test failure) if the file cannot be read.
  static const ReferenceOutputs* reference() {
    auto it = references_.find(model().name);
    if (it != references_.end()) return it->second.get();
    auto ref = ReferenceOutputs::open(model().dir());
    EXPECT_TRUE(ref.ok()) << model().name << ": " << (ref.ok() ? "" : ref.error().message());
    if (!ref.ok()) return nullptr;
    return (references_[model().name] = std::make_unique<ReferenceOutputs>(std::move(ref).value())).get();
  }

  static const Bundle* bundle(QuantMode mode) { return cache_->get(model(), mode); }


  // Prints the summary and the one-line figures, and records them in the test's XML.
  static void report(const GoldenMeasures& m, const std::string& what) {
    const std::string label = std::string(model().name) + " " + what + ", " + path_name();
    std::printf("%s%s", m.summary(label).c_str(), m.figures_line(label).c_str());
    auto record = [](const std::string& key, double value) {
      ::testing::Test::RecordProperty(key, std::to_string(value));
    };
    auto top1 = [](const LogitsComparison& c) { return c.rows ? static_cast<double>(c.argmax_matches) / c.rows : 0.0; };
    auto mean_kl = [](const LogitsComparison& c) { return c.rows ? c.kl_sum / c.rows : 0.0; };
    const LogitsComparison all = m.all();
    record("prompts_top1", top1(m.prompts));
    record("prompts_mean_kl", mean_kl(m.prompts));
    record("all_top1", top1(all));
    record("all_mean_kl", mean_kl(all));
    record("all_max_abs", static_cast<double>(all.max_abs));
  }

  static GoldenMeasures measure(QuantMode mode, const ExecutorOptions& executor_options, const std::string& what,
                                const GoldenCases& cases) {
    const Bundle* b = bundle(mode);
    const ReferenceOutputs* ref = reference();
    EXPECT_NE(b, nullptr);
    if (b == nullptr || ref == nullptr) return {};
    GoldenMeasures m = run_golden(b->weights(), *ref, executor_options, cases);
    report(m, what);
    // The reference holds every case the README lists (a case not run has 0 rows).
    EXPECT_EQ(m.prompts.rows, cases.prompts ? model().prompt_rows : 0);
    EXPECT_EQ(m.generations, cases.greedy ? model().greedy_count : 0);
    const bool long_prompt = cases.long_prefill || cases.long_decode;
    EXPECT_EQ(m.long_prompt_tokens, long_prompt ? model().long_prompt_tokens : 0);
    EXPECT_EQ(m.long_one.rows, cases.long_prefill ? 64 : 0);
    EXPECT_EQ(m.long_split.rows, cases.long_decode ? 64 : 0);
    return m;
  }
  static GoldenMeasures measure(QuantMode mode, Check check) {
    return measure(mode, options(), std::string(convert::quant_mode_name(mode)), cases_for(check));
  }

  // Which cases a check runs. tiny-a: all of them, everywhere (as before tiny-c). tiny-c's
  // long prompt (1100 tokens, twice) is most of its time:
  // - natively (x86, a loaded 2-core machine, Dec 2026: tiny-c's six checks 51 s on the
  //   default path, 5.8 min on the reference path with every case): every case on the
  //   default path; on the reference path the long prompt for f32 and the int8 KV cache
  //   only. What it exercises beyond the short cases (DeltaNet state across chunks and
  //   micro-batches, attention over 1000+ positions) does not depend on the weights' type,
  //   and the prompts check the reference f16/q8/q4 linear layers.
  // - slow targets (qemu, sanitizers): under qemu cortex-a76 and cortex-a72 tiny-c costs
  //   about 0.16 s of CPU a token with f32 or f16 weights and 0.06 s with q8 or q4, so the
  //   long prompt would add 6 minutes per bundle type. It runs once, through the decode path
  //   (1036 tokens prefilled, then 64 decode steps), on the q4 bundle: cheap, and the format
  //   the boards run. f32, q8 and q4 run the prompts and the greedy generations; f16 and the
  //   int8 KV cache only the greedy generations (a prefill of 43-47 tokens and decode steps:
  //   both paths of their kernels at the real head sizes).
  static GoldenCases cases_for(Check check) {
    GoldenCases c;
    if (&model() != &kTinyC) return c;
    if (kSlowTarget) {
      c.prompts = check != Check::kF16 && check != Check::kInt8Kv;
      c.long_prefill = false;
      c.long_decode = check == Check::kQ4;
    } else if (GetParam().path == Path::kReference) {
      c.long_prefill = c.long_decode = check == Check::kF32 || check == Check::kInt8Kv;
    }
    return c;
  }

  // The comparisons of the cases that ran.
  static std::vector<const LogitsComparison*> all(const GoldenMeasures& m) {
    std::vector<const LogitsComparison*> out;
    if (m.cases.prompts) out.push_back(&m.prompts);
    if (m.cases.greedy) out.push_back(&m.greedy);
    if (m.cases.long_prefill) out.push_back(&m.long_one);
    if (m.cases.long_decode) out.push_back(&m.long_split);
    return out;
  }

  static BundleCache* cache_;
  static std::map<std::string, std::unique_ptr<ReferenceOutputs>> references_;
};
BundleCache* GoldenBundle::cache_ = nullptr;
std::map<std::string, std::unique_ptr<ReferenceOutputs>> GoldenBundle::references_;

// The README's tolerance for a correct float32 implementation, for every model.
constexpr float kF32MaxAbs = 5e-3f;

TEST_P(GoldenBundle, F32MatchesReference) {
  const GoldenMeasures m = measure(QuantMode::kF32, Check::kF32);
  for (const LogitsComparison* c : all(m)) {
    EXPECT_GT(c->rows, 0);
    EXPECT_LT(c->max_abs, kF32MaxAbs);
    EXPECT_EQ(c->argmax_matches, c->rows);
  }
  EXPECT_TRUE(m.greedy_identical);
}

TEST_P(GoldenBundle, F32HiddenStatesAfterEveryLayer) {
  const Bundle* b = bundle(QuantMode::kF32);
  const ReferenceOutputs* ref = reference();
  ASSERT_NE(b, nullptr);
  ASSERT_NE(ref, nullptr);
  const std::vector<float> errors = hidden_state_errors(b->weights(), *ref, options());
  ASSERT_EQ(errors.size(), static_cast<std::size_t>(model().num_layers + 1));
  for (std::size_t l = 0; l < errors.size(); ++l) EXPECT_LT(errors[l], kF32MaxAbs) << "hidden." << l;
}

TEST_P(GoldenBundle, F16WithinTolerance) {
  const GoldenMeasures m = measure(QuantMode::kF16, Check::kF16);
  for (const LogitsComparison* c : all(m)) {
    EXPECT_GT(c->rows, 0);
    EXPECT_LT(c->max_abs, tolerances().f16_max_abs);
  }
  EXPECT_TRUE(m.greedy_identical);
}

TEST_P(GoldenBundle, Int8KvCacheWithinTolerance) {
  ExecutorOptions o = options();
  o.kv_cache = KvCacheType::kInt8;
  const GoldenMeasures m = measure(QuantMode::kF32, o, "f32 int8-kv", cases_for(Check::kInt8Kv));
  for (const LogitsComparison* c : all(m)) {
    EXPECT_GT(c->rows, 0);
    EXPECT_LT(c->max_abs, tolerances().int8_kv_max_abs);
    EXPECT_EQ(c->argmax_matches, c->rows);
    EXPECT_LT(c->kl_sum / c->rows, tolerances().int8_kv_max_mean_kl);
  }
  EXPECT_TRUE(m.greedy_identical);
}

// Top-1 agreement and mean KL of `c` within `bound`.
void expect_agreement(const LogitsComparison& c, const AgreementBound& bound, const std::string& what) {
  ASSERT_GT(c.rows, 0) << what;
  EXPECT_GT(c.argmax_matches * 1000, c.rows * bound.min_top1_permille)
      << what << ": top-1 " << c.argmax_matches << "/" << c.rows;
  EXPECT_LT(c.kl_sum / c.rows, bound.max_mean_kl) << what << ": mean KL";
}

void expect_long_agreement(const GoldenMeasures& m, const std::optional<AgreementBound>& bound) {
  if (!bound) return;
  if (m.cases.long_prefill) expect_agreement(m.long_one, *bound, "long prompt, one prefill");
  if (m.cases.long_decode) expect_agreement(m.long_split, *bound, "long prompt, decode path");
}

TEST_P(GoldenBundle, Q8KeepsGreedyGenerations) {
  const GoldenMeasures m = measure(QuantMode::kQ8, Check::kQ8);
  EXPECT_TRUE(m.greedy_identical);
  expect_agreement(m.prompts, tolerances().q8_prompts, "prompts");
  expect_long_agreement(m, tolerances().q8_long);
}

TEST_P(GoldenBundle, Q4AgreementMeasured) {
  // XNNPACK 2024-11's qd8-f32-qb4w is wrong for some batch sizes on AVX512-VNNI CPUs (inf/NaN
  // logits on the Xeon these tests ran on in Dec 2026); the XNNPACK backend detects it at load
  // and leaves 4-bit weights to Linnet's kernels (XnnLinearBackend::four_bit_kernels_agree),
  // and the default path runs the tiled q4 on Linnet's kernels anyway.
  const GoldenMeasures m = measure(QuantMode::kQ4, Check::kQ4);
  if (tolerances().q4_keeps_greedy_generations) {
    EXPECT_TRUE(m.greedy_identical);
  }
  expect_agreement(m.prompts, tolerances().q4_prompts, "prompts");
  expect_long_agreement(m, tolerances().q4_long);
}

// Test names end in <model>_<path>, e.g. F32MatchesReference/TinyC_Default: CMakeLists.txt
// filters on the path (and the model) for the qemu and sanitizer entries.
INSTANTIATE_TEST_SUITE_P(Models, GoldenBundle,
                         ::testing::Values(GoldenParam{&kTinyA, Path::kReference}, GoldenParam{&kTinyA, Path::kDefault},
                                           GoldenParam{&kTinyC, Path::kReference}, GoldenParam{&kTinyC, Path::kDefault}),
                         [](const ::testing::TestParamInfo<GoldenParam>& param_info) {
                           return std::string(param_info.param.model->param_name) +
                                  (param_info.param.path == Path::kReference ? "_Reference" : "_Default");
                         });

}  // namespace
}  // namespace linnet::testing
