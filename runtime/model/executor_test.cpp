// Executor behaviour on qwen35-tiny-a (checkpoint converted to float32 in memory):
// zero heap allocations on the token path, state carried across calls, snapshots,
// errors instead of crashes. Logit values themselves are checked in tests/golden.
#include "runtime/model/executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <span>
#include <vector>

#include "kernels/qlinear/tiled_pack.h"
#include "runtime/model/executor_heap.h"
#include "tests/alloc_counter/alloc_counter.h"
#include "tests/golden/checkpoint_weights.h"
#include "tests/golden/golden_util.h"

namespace linnet {
namespace {

using testing::CheckpointWeights;

class ExecutorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto w = testing::load_checkpoint_f32(testing::tiny_model_dir());
    ASSERT_TRUE(w.ok()) << w.error().message();
    weights_ = std::move(w).value().release();
    auto ref = testing::ReferenceOutputs::open(testing::tiny_model_dir());
    ASSERT_TRUE(ref.ok()) << ref.error().message();
    prompt_ = ref->ids("prompt0.input_ids");
    long_ = ref->ids("long.input_ids");
  }
  static void TearDownTestSuite() {
    delete weights_;
    weights_ = nullptr;
  }

  static Executor make(int context = 1024, int batch_tokens = 128, KvCacheType kv_cache = KvCacheType::kF16) {
    ExecutorOptions o;
    o.context_length = context;
    o.batch_tokens = batch_tokens;
    o.kv_cache = kv_cache;
    auto e = Executor::create(weights_->weights, o);
    EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message());
    return std::move(e).value();
  }

  // The prompt's first kPrefix tokens, a snapshot there, then the rest with every position's
  // logits: what a restored snapshot must reproduce.
  static constexpr std::size_t kPrefix = 25;
  struct SnapshotRun {
    std::vector<std::uint8_t> blob;
    std::vector<float> rest_logits;  // [prompt - kPrefix, V]
  };
  static SnapshotRun run_with_snapshot(Executor& e) {
    SnapshotRun r;
    EXPECT_TRUE(e.forward(std::span(prompt_).first(kPrefix), LogitsMode::kNone, {}).ok());
    r.blob.resize(e.state_bytes());
    EXPECT_TRUE(e.save_state(r.blob).ok());
    r.rest_logits.resize((prompt_.size() - kPrefix) * static_cast<std::size_t>(V()));
    EXPECT_TRUE(e.forward(std::span(prompt_).subspan(kPrefix), LogitsMode::kAll, r.rest_logits).ok());
    return r;
  }
  static int V() { return weights_->weights.hp.vocab_size; }

  static CheckpointWeights* weights_;
  static std::vector<std::int32_t> prompt_;
  static std::vector<std::int32_t> long_;
};
CheckpointWeights* ExecutorTest::weights_ = nullptr;
std::vector<std::int32_t> ExecutorTest::prompt_;
std::vector<std::int32_t> ExecutorTest::long_;

// The checkpoint's weights as a q4 bundle holds them: every linear layer Q4T, the tied
// embedding / head Q6T (kernels/qlinear/tiled_pack.h), so Linnet's own kernels run them.
const ModelWeights& tiled_weights(const ModelWeights& f32) {
  static const ModelWeights tiled = [&] {
    ModelWeights m = f32;
    static std::deque<kernels::TiledTensor> packed;
    auto tile = [](TensorView& v, DType dtype) {
      const auto& t = packed.emplace_back(kernels::pack_tiled_tensor(
          dtype, std::span(v.f32(), static_cast<std::size_t>(v.elements())), v.rows(), v.cols()));
      const std::string_view name = v.name;
      v = t.view();
      v.name = name;
    };
    const bool tied = m.lm_head.data == m.embed_tokens.data;
    tile(m.embed_tokens, DType::kQ6T);
    if (tied) m.lm_head = m.embed_tokens;
    for (LayerWeights& l : m.layers)
      for (TensorView* t : {&l.gate_proj, &l.up_proj, &l.down_proj, &l.linear.in_proj_qkv, &l.linear.in_proj_z,
                            &l.linear.out_proj, &l.attention.q_proj, &l.attention.k_proj, &l.attention.v_proj,
                            &l.attention.o_proj})
        if (t->present()) tile(*t, DType::kQ4T);
    return m;
  }();
  return tiled;
}

// The linear-layer backends the token path is checked with: a backend is one line here.
struct LinearBackend {
  const char* name;
  void (*select)(ExecutorOptions& options);
  // Plain C++, the same on every target: checked natively, left out under qemu (where its
  // 700-token prefills would take minutes).
  bool same_on_every_target;
  bool tiled;  // runs the q4 (Q4T + Q6T) weights, else the checkpoint's f32
};
const LinearBackend kLinearBackends[] = {
    {"linnet", [](ExecutorOptions& o) { o.linear = LinearImpl::kLinnet; }, false, true},
    {"xnnpack", [](ExecutorOptions& o) { o.linear = LinearImpl::kXnnpack; }, false, false},
    {"reference", [](ExecutorOptions& o) { o.linear = LinearImpl::kReference; }, true, false},
};

class ExecutorAllocationTest : public ExecutorTest, public ::testing::WithParamInterface<LinearBackend> {};

// With each linear backend, every non-linear path: the reference kernels, the fastest
// kernels (f16 KV cache) on one thread and on a pool of three, and the int8 KV cache.
// Counted: every malloc-family call and operator new, on any thread (alloc_counter.h).
TEST_P(ExecutorAllocationTest, NoHeapAllocationOnTheTokenPath) {
  const LinearBackend& backend = GetParam();
#ifdef LINNET_TEST_UNDER_EMULATOR
  if (backend.same_on_every_target) GTEST_SKIP() << backend.name << " linear: portable C++, checked natively";
#endif
  struct Config {
    const char* name;
    ExecutorOptions options;
  };
  std::vector<Config> configs(4);
  configs[0].name = "reference kernels";
  configs[0].options.reference_kernels = true;
  configs[0].options.kv_cache = KvCacheType::kF32;
  configs[1].name = "fastest kernels, 1 thread";
  configs[2].name = "fastest kernels, 3 threads";
  configs[2].options.threads = 3;
  configs[3].name = "int8 KV cache, 2 threads";
  configs[3].options.threads = 2;
  configs[3].options.kv_cache = KvCacheType::kInt8;
#ifdef LINNET_TEST_UNDER_EMULATOR
  // The reference kernels are plain C++, the same on every target, and checked natively;
  // under qemu their 700-token prefill is most of this test's several minutes. Allocation
  // does not depend on the KV cache type's kernels either (the int8 NEON kernels are checked
  // by golden_bundle_test under qemu): the int8 config also runs natively only.
  configs.pop_back();
  configs.erase(configs.begin());
#endif
  for (Config& config : configs) {
    backend.select(config.options);
    config.options.context_length = 1024;
    config.options.batch_tokens = 64;
    const ModelWeights& weights = backend.tiled ? tiled_weights(weights_->weights) : weights_->weights;
    auto created = Executor::create(weights, config.options);
    ASSERT_TRUE(created.ok()) << created.error().message();
    Executor exec = std::move(created).value();
    const std::size_t v = static_cast<std::size_t>(V());
    std::vector<float> all(long_.size() * v), last(v), rows(3);
    std::vector<std::uint8_t> snapshot(exec.state_bytes() + 2 * 1024 * 64 * 4 * 8);  // room for any position
    const std::int32_t wanted[] = {5, 299, 995};
    std::vector<Status> results;
    results.reserve(16);

    const auto started = std::chrono::steady_clock::now();
    long allocations = 0;
    {
      const testing::AllocationCounter counter;
      results.push_back(exec.forward(long_, LogitsMode::kAll, all));                        // prefill, 11 micro-batches
      results.push_back(exec.forward(std::span(prompt_).first(1), LogitsMode::kLast, last));  // decode
      results.push_back(exec.forward(std::span(prompt_).first(2), LogitsMode::kNone, {}));     // small prefill
      results.push_back(exec.logits_for_rows(wanted, rows));
      results.push_back(exec.save_state(snapshot));
      results.push_back(exec.forward(std::span(prompt_).first(1), LogitsMode::kLast, last));
      results.push_back(exec.load_state(snapshot));
      exec.reset();
      results.push_back(exec.forward(prompt_, LogitsMode::kLast, last));
      allocations = counter.count();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    for (const Status& s : results) EXPECT_TRUE(s.ok()) << config.name << ": " << s.error().message();
    EXPECT_EQ(allocations, 0) << backend.name << " linear, " << config.name
                              << ": heap allocations during forward/logits_for_rows/save/load";
    std::printf("heap allocations on the token path (%s linear, %s): %ld (prefill 700 + decode + snapshot, %.2f s)\n",
                backend.name, config.name, allocations, seconds);
  }

  // The counter works in this binary: creating an executor allocates.
  const testing::AllocationCounter counter;
  ExecutorOptions small;
  backend.select(small);
  small.context_length = 64;
  { auto other = Executor::create(weights_->weights, small); }
  EXPECT_GT(counter.count(), 0) << testing::AllocationCounter::method();
}

INSTANTIATE_TEST_SUITE_P(LinearBackends, ExecutorAllocationTest, ::testing::ValuesIn(kLinearBackends),
                         [](const ::testing::TestParamInfo<LinearBackend>& param_info) {
                           return std::string(param_info.param.name);
                         });

// A conversation grows turn by turn: two calls equal one call; prefill equals decode.
TEST_F(ExecutorTest, StateCarriesAcrossCalls) {
  const std::size_t v = static_cast<std::size_t>(V());
  const std::size_t T = prompt_.size();
  Executor whole = make();
  std::vector<float> expected(T * v);
  ASSERT_TRUE(whole.forward(prompt_, LogitsMode::kAll, expected).ok());
  EXPECT_EQ(whole.position(), static_cast<int>(T));

  Executor pieces = make();
  std::vector<float> got(T * v);
  const std::size_t cut1 = 13, cut2 = 14;  // a prefill, one decode step, the rest
  ASSERT_TRUE(pieces.forward(std::span(prompt_).first(cut1), LogitsMode::kAll, std::span(got).first(cut1 * v)).ok());
  ASSERT_TRUE(pieces.forward(std::span(prompt_).subspan(cut1, 1), LogitsMode::kAll,
                             std::span(got).subspan(cut1 * v, v)).ok());
  ASSERT_TRUE(pieces.forward(std::span(prompt_).subspan(cut2), LogitsMode::kAll, std::span(got).subspan(cut2 * v)).ok());
  EXPECT_LT(testing::max_abs_diff(expected, got), 1e-4f);

  Executor decode = make();
  std::vector<float> step(v);
  for (std::size_t t = 0; t < T; ++t) {
    ASSERT_TRUE(decode.forward(std::span(prompt_).subspan(t, 1), LogitsMode::kLast, step).ok());
    EXPECT_LT(testing::max_abs_diff(std::span<const float>(expected).subspan(t * v, v), step), 1e-4f) << "t " << t;
  }

  // Micro-batch size does not change results beyond rounding (5 does not divide 40).
  Executor small_batches = make(1024, 5);
  ASSERT_TRUE(small_batches.forward(prompt_, LogitsMode::kAll, got).ok());
  EXPECT_LT(testing::max_abs_diff(expected, got), 1e-4f);

  // kLast gives the last row of kAll; logits_for_rows gives chosen entries of it.
  Executor last = make();
  ASSERT_TRUE(last.forward(prompt_, LogitsMode::kLast, step).ok());
  EXPECT_LT(testing::max_abs_diff(std::span<const float>(expected).subspan((T - 1) * v, v), step), 1e-4f);
  const std::int32_t rows[] = {0, 299, static_cast<std::int32_t>(v - 1), 299};
  std::vector<float> picked(4);
  ASSERT_TRUE(last.logits_for_rows(rows, picked).ok());
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(picked[i], step[static_cast<std::size_t>(rows[i])], 1e-5f);

  // reset() gives a fresh start.
  last.reset();
  EXPECT_EQ(last.position(), 0);
  ASSERT_TRUE(last.forward(prompt_, LogitsMode::kAll, got).ok());
  EXPECT_LT(testing::max_abs_diff(expected, got), 1e-6f);
}

TEST_F(ExecutorTest, SnapshotRestoresTheConversation) {
  Executor a = make();
  const auto rest = std::span(prompt_).subspan(kPrefix);
  const auto [blob, expected] = run_with_snapshot(a);
  std::vector<float> got(expected.size());

  // Into a fresh executor with a different context length, and back into the used one.
  Executor b = make(512);
  ASSERT_TRUE(b.load_state(blob).ok());
  EXPECT_EQ(b.position(), static_cast<int>(kPrefix));
  ASSERT_TRUE(b.forward(rest, LogitsMode::kAll, got).ok());
  EXPECT_EQ(testing::max_abs_diff(expected, got), 0.0f);
  ASSERT_TRUE(a.load_state(blob).ok());
  ASSERT_TRUE(a.forward(rest, LogitsMode::kAll, got).ok());
  EXPECT_EQ(testing::max_abs_diff(expected, got), 0.0f);

  // logits_for_rows works right after a load (the last hidden state is in the snapshot).
  Executor c = make();
  ASSERT_TRUE(c.load_state(blob).ok());
  const std::int32_t rows[] = {7};
  float one = 0.0f;
  EXPECT_TRUE(c.logits_for_rows(rows, std::span(&one, 1)).ok());

  // Bad blobs are errors, and leave the executor usable.
  std::vector<std::uint8_t> bad = blob;
  bad[0] ^= 0xff;
  EXPECT_EQ(c.load_state(bad).error().code(), ErrorCode::kCorrupt);
  EXPECT_FALSE(c.load_state(std::span(blob).first(blob.size() - 4)).ok());
  EXPECT_FALSE(c.load_state(std::span(blob).first(10)).ok());
  Executor tiny_context = make(16);
  EXPECT_EQ(tiny_context.load_state(blob).error().code(), ErrorCode::kOutOfRange);
  std::vector<std::uint8_t> small(blob.size() - 1);
  EXPECT_FALSE(a.save_state(small).ok());
}

// The int8 KV cache: its snapshot (values and row scales) restores the conversation exactly,
// is smaller than the f16 one, and a snapshot of one cache type is refused by another.
TEST_F(ExecutorTest, Int8KvCacheSnapshotsAndTypeMismatch) {
  const std::size_t v = static_cast<std::size_t>(V());
  Executor a = make(1024, 128, KvCacheType::kInt8);
  const auto rest = std::span(prompt_).subspan(kPrefix);
  const auto [blob, expected] = run_with_snapshot(a);
  std::vector<float> got(expected.size());

  Executor b = make(300, 128, KvCacheType::kInt8);  // another capacity: rows are copied per head
  ASSERT_TRUE(b.load_state(blob).ok());
  ASSERT_TRUE(b.forward(rest, LogitsMode::kAll, got).ok());
  EXPECT_EQ(testing::max_abs_diff(expected, got), 0.0f);

  // Against f16: 2 attention layers x K,V x Hkv 2 x 25 rows x (64 + 4 - 128) bytes smaller.
  Executor f16 = make();
  const auto [f16_blob, f16_rest] = run_with_snapshot(f16);
  EXPECT_EQ(f16_blob.size() - blob.size(), 2u * 2u * 2u * kPrefix * (128u - 68u));
  const Status refused = b.load_state(f16_blob);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message().find("KV cache type"), std::string::npos) << refused.error().message();
  EXPECT_EQ(b.position(), static_cast<int>(prompt_.size()));  // the refused load changed nothing
  EXPECT_FALSE(f16.load_state(blob).ok());
  // b is still usable: its own snapshot restores and continues the conversation.
  ASSERT_TRUE(b.load_state(blob).ok());
  ASSERT_TRUE(b.forward(rest, LogitsMode::kAll, got).ok());
  EXPECT_EQ(testing::max_abs_diff(expected, got), 0.0f);

  // Close to the f16 cache: the same next-token choice on every position of the prompt.
  for (std::size_t t = 0; t < rest.size(); ++t) {
    const auto row = [&](const std::vector<float>& x) {
      const auto first = x.begin() + static_cast<std::ptrdiff_t>(t * v);
      return std::max_element(first, first + static_cast<std::ptrdiff_t>(v)) - first;
    };
    EXPECT_EQ(row(got), row(f16_rest)) << "position " << kPrefix + t;
  }
}

TEST_F(ExecutorTest, ErrorsInsteadOfCrashes) {
  Executor exec = make(32);
  const std::size_t v = static_cast<std::size_t>(V());
  std::vector<float> logits(v);
  // Context overflow: an error, position unchanged.
  ASSERT_TRUE(exec.forward(std::span(prompt_).first(30), LogitsMode::kNone, {}).ok());
  Status s = exec.forward(std::span(prompt_).first(3), LogitsMode::kLast, logits);
  EXPECT_EQ(s.error().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(exec.position(), 30);
  EXPECT_TRUE(exec.forward(std::span(prompt_).first(2), LogitsMode::kLast, logits).ok());
  EXPECT_EQ(exec.position(), 32);
  EXPECT_EQ(exec.forward(std::span(prompt_).first(1), LogitsMode::kLast, logits).error().code(), ErrorCode::kOutOfRange);

  exec.reset();
  const std::int32_t bad_ids[] = {1, -1};
  EXPECT_EQ(exec.forward(bad_ids, LogitsMode::kNone, {}).error().code(), ErrorCode::kInvalidArgument);
  const std::int32_t too_big[] = {static_cast<std::int32_t>(v)};
  EXPECT_FALSE(exec.forward(too_big, LogitsMode::kNone, {}).ok());
  EXPECT_FALSE(exec.forward({}, LogitsMode::kNone, {}).ok());
  std::vector<float> short_logits(v - 1);
  EXPECT_FALSE(exec.forward(std::span(prompt_).first(1), LogitsMode::kLast, short_logits).ok());
  EXPECT_EQ(exec.position(), 0);
  const std::int32_t rows[] = {1};
  float out = 0.0f;
  EXPECT_EQ(exec.logits_for_rows(rows, std::span(&out, 1)).error().code(), ErrorCode::kFailedPrecondition);

  // Options and weights are validated at create.
  ExecutorOptions o;
  o.context_length = 1 << 20;  // above max_position_embeddings (4096)
  EXPECT_FALSE(Executor::create(weights_->weights, o).ok());
  ModelWeights broken = weights_->weights;
  broken.layers[3].attention.q_proj.shape[0] = 100;
  o.context_length = 64;
  auto e = Executor::create(broken, o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("layers.3.self_attn.q_proj"), std::string::npos) << e.error().message();
}

TEST_F(ExecutorTest, MemoryPlanIsWhatIsAllocated) {
  Executor exec = make(1000, 64);
  const MemoryPlan& plan = exec.memory_plan();
  std::printf("%s", plan.to_string().c_str());
  const MemoryRegion* kv = plan.find("kv_cache");
  ASSERT_NE(kv, nullptr);
  // 2 attention layers x K,V x [Hkv 2, ctx 1000, hd 64] f16 (the default), f32 on request.
  EXPECT_EQ(kv->bytes, 2u * 2u * 2u * 1000u * 64u * 2u);
  ExecutorOptions f32_kv;
  f32_kv.context_length = 1000;
  f32_kv.kv_cache = KvCacheType::kF32;
  EXPECT_EQ(plan_memory(weights_->weights.hp, f32_kv)->find("kv_cache")->bytes, 2 * kv->bytes);
  // int8: a byte per value plus a float scale per row ([Hkv 2, ctx 1000] for K and for V).
  ExecutorOptions int8_kv = f32_kv;
  int8_kv.kv_cache = KvCacheType::kInt8;
  EXPECT_EQ(plan_memory(weights_->weights.hp, int8_kv)->find("kv_cache")->bytes,
            2u * 2u * (2u * 1000u * 64u + 2u * 1000u * 4u));
  const MemoryRegion* rec = plan.find("recurrent_state");
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->bytes, 6u * 4u * 32u * 32u * 4u);
  const MemoryRegion* conv = plan.find("conv_state");
  ASSERT_NE(conv, nullptr);
  EXPECT_GE(conv->bytes, 6u * 3u * 256u * 4u);
  std::size_t sum = 0;
  for (const MemoryRegion& r : plan.regions) {
    EXPECT_EQ(r.offset % 64, 0u) << r.name;
    EXPECT_EQ(r.offset, sum) << r.name;  // back to back, in arena order
    sum += r.bytes;
  }
  EXPECT_EQ(sum, plan.total_bytes);
  ASSERT_NE(plan.find("activations"), nullptr);
  ASSERT_NE(plan.find("scratch"), nullptr);
  // The plan scales with the context and the threads.
  ExecutorOptions o;
  o.context_length = 2000;
  o.threads = 4;
  auto bigger = plan_memory(weights_->weights.hp, o);
  ASSERT_TRUE(bigger.ok());
  EXPECT_EQ(bigger->find("kv_cache")->bytes, 2 * kv->bytes);
  EXPECT_GT(bigger->find("scratch")->bytes, plan.find("scratch")->bytes);
  o.threads = 0;
  EXPECT_FALSE(plan_memory(weights_->weights.hp, o).ok());
}

}  // namespace
}  // namespace linnet

namespace linnet {
namespace {

// The snapshot size of any executor at any position, from the hyper-parameters alone (the
// memory plan's prefix-cache bound), is what a real executor's state_bytes() says.
TEST_F(ExecutorTest, StateBytesAtAPositionMatchTheExecutors) {
  const HyperParams& hp = weights_->weights.hp;
  for (KvCacheType kv : {KvCacheType::kF16, KvCacheType::kInt8, KvCacheType::kF32}) {
    Executor e = make(256, 128, kv);
    EXPECT_EQ(Executor::state_bytes_at(hp, kv, 0), e.state_bytes()) << kv_cache_type_name(kv);
    ASSERT_TRUE(e.forward(prompt_, LogitsMode::kNone, {}).ok());
    EXPECT_EQ(Executor::state_bytes_at(hp, kv, e.position()), e.state_bytes()) << kv_cache_type_name(kv);
  }
  // 10 more positions: 2 attention layers x K,V x 2 KV heads x 10 rows of 64 halves (128 bytes).
  EXPECT_EQ(Executor::state_bytes_at(hp, KvCacheType::kF16, 30) - Executor::state_bytes_at(hp, KvCacheType::kF16, 20),
            2u * 2u * 2u * 10u * 128u);
}

// Beside the arena the executor holds only its linear backends' scratch and XNNPACK's packed
// weights: the scratch is exactly what plan_executor_heap() reports, the packed weights
// within its bound, for each backend on untiled (f32) and tiled (Q4T/Q6T) weights. (In the
// allocation test's suite: tiled_weights() keeps views named by this suite's weights.)
TEST_P(ExecutorAllocationTest, HeapBesideTheArenaIsWithinThePlannedBounds) {
  for (const bool tiled : {false, true}) {
    const ModelWeights& weights = tiled ? tiled_weights(weights_->weights) : weights_->weights;
    ExecutorOptions o;
    o.context_length = 256;
    o.batch_tokens = 32;
    GetParam().select(o);
    const LinearImpl linear = o.linear;
    auto e = Executor::create(weights, o);
    ASSERT_TRUE(e.ok()) << e.error().message();
    std::size_t scratch_bound = 0, packed_bound = 0;
    bool listed_packed = false;
    for (const MemoryBound& b : plan_executor_heap(weights, o)) {
      if (b.name == "packed_weights") {
        packed_bound = b.bytes;
        listed_packed = true;
      } else {
        scratch_bound += b.bytes;
      }
    }
    const std::string what = std::string(linear_impl_name(linear)) + (tiled ? ", tiled" : ", f32");
    EXPECT_EQ(e->linear_scratch_bytes(), scratch_bound) << what;
    EXPECT_LE(e->packed_weight_bytes(), packed_bound) << what;
    EXPECT_EQ(listed_packed, linear != LinearImpl::kReference) << what;
    // Either weight set leaves XNNPACK something to pack: every f32 weight, or beside the
    // tiled ones the f32 DeltaNet gate inputs.
    if (linear != LinearImpl::kReference) {
      EXPECT_GT(e->packed_weight_bytes(), 0u) << what;
    }
  }
}

}  // namespace
}  // namespace linnet
