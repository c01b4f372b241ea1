#include "runtime/model/executor.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "runtime/bundle/hyper_params.h"
#include "runtime/core/mapped_file.h"
#include "kernels/dispatch/kernel_set.h"
#include "kernels/linear.h"
#include "kernels/platform/denormals.h"
#include "kernels/platform/thread_pool.h"
#include "kernels/reference/activations_ref.h"
#include "kernels/reference/attention_ref.h"
#include "kernels/reference/conv1d_ref.h"
#include "kernels/reference/embedding_ref.h"
#include "kernels/reference/gated_delta_ref.h"
#include "kernels/reference/rmsnorm_ref.h"
#include "kernels/reference/rope_ref.h"
#include "kernels/qlinear/tiled_linear.h"
#include "kernels/xnnpack/xnn_linear.h"
#include "runtime/model/arena.h"
#include "runtime/model/executor_heap.h"
#include "runtime/model/executor_buffers.h"
#include "runtime/model/kv_cache.h"

namespace linnet {
namespace {

using kernels::LinearKernel;

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// The decode step keeps [dv] temporaries on the stack (kernels/reference/gated_delta_ref.cpp).
constexpr int kMaxValueDim = 512;

// ---- create-time validation ------------------------------------------------------------

Status expect_shape(const TensorView& t, std::initializer_list<std::int64_t> shape, const std::string& what) {
  if (!t.present()) return Error(ErrorCode::kCorrupt, what + ": tensor missing");
  bool ok = t.rank == static_cast<int>(shape.size());
  int i = 0;
  for (std::int64_t d : shape) ok = ok && t.shape[static_cast<std::size_t>(i++)] == d;
  if (!ok) {
    std::string want, got;
    for (std::int64_t d : shape) want += std::to_string(d) + " ";
    for (int j = 0; j < t.rank; ++j) got += std::to_string(t.shape[static_cast<std::size_t>(j)]) + " ";
    return Error(ErrorCode::kCorrupt, what + ": shape [" + got + "] where [" + want + "] is expected");
  }
  return ok_status();
}

// Small tensors (norm weights, conv, gates) are read directly as float32.
Status expect_f32(const TensorView& t, std::initializer_list<std::int64_t> shape, const std::string& what) {
  LINNET_TRY(expect_shape(t, shape, what));
  if (t.dtype != DType::kF32) return Error(ErrorCode::kUnsupported, what + ": must be F32");
  if (t.data_bytes < static_cast<std::size_t>(t.elements()) * sizeof(float))
    return Error(ErrorCode::kCorrupt, what + ": data smaller than its shape");
  return ok_status();
}

// The bundle's checks on hyper-parameters (bundle/hyper_params.h: the one validator, which
// the loader and the converter run too), then the one limit of the executor's kernels.
Status check_hyper_params(const HyperParams& hp) {
  Status valid = validate_hyper_params(hp);
  if (!valid.ok()) return std::move(valid).error().with_context("hyper-parameters");
  if (hp.linear_value_head_dim > kMaxValueDim) {
    return Error(ErrorCode::kUnsupported, "hyper-parameters: DeltaNet value dim " +
                                              std::to_string(hp.linear_value_head_dim) + " above " +
                                              std::to_string(kMaxValueDim));
  }
  return ok_status();
}

struct LayerKernels {
  std::unique_ptr<LinearKernel> in_proj_qkv, in_proj_z, in_proj_b, in_proj_a, out_proj;  // DeltaNet
  std::unique_ptr<LinearKernel> q_proj, k_proj, v_proj, o_proj;                          // attention
  std::unique_ptr<LinearKernel> gate_proj, up_proj, down_proj;                           // MLP
};

// Magic "LNST" and version of the state snapshot.
constexpr std::uint32_t kStateMagic = 0x54534e4cu;
// Version 2: the KV cache's element type is in the header (version 1 had f16/f32 only and
// did not say which).
constexpr std::uint32_t kStateVersion = 2;

// Fixed header of a snapshot; the model dimensions make a blob from another model fail, the
// KV cache type one from an executor with another cache type.
struct StateHeader {
  std::uint32_t magic;
  std::uint32_t version;
  std::int32_t position;
  std::int32_t has_last_hidden;
  std::int32_t dims[10];  // L, D, C, K, Hv, dk, dv, Hkv, hd, V
  std::int32_t kv_cache_type;  // KvCacheType
};

}  // namespace

struct Executor::Impl {
  const ModelWeights* weights = nullptr;  // not owned; outlives the executor
  HyperParams hp;
  ExecutorOptions options;
  MemoryPlan plan;
  Arena arena;
  ExecutorBuffers buf;
  // Speed: the thread pool shared by XNNPACK and Linnet's kernels, and the XNNPACK linear
  // backend (owns the packed weights). Declared before the kernels so they outlive them.
  std::optional<kernels::ThreadPool> pool;
  std::unique_ptr<kernels::XnnLinearBackend> xnn;
  // Speed: Linnet's own kernels for the tiled quantized weights (kernels/qlinear/).
  std::unique_ptr<kernels::TiledLinearBackend> tiled;
  // Speed: the non-linear kernels (NEON / portable vector / reference) over the pool.
  std::optional<kernels::KernelSet> ks;
  std::vector<LayerKernels> layer_kernels;
  std::unique_ptr<LinearKernel> head;
  int position = 0;
  bool has_last_hidden = false;
  HiddenObserver observer;
  // Memory: each embedding row looked up faults in the file pages around it (the kernel's
  // fault-around, 64 KiB by default), so over a long context of varied tokens the 0.8B
  // model's 242 MiB q8 embedding would become resident through lookups alone (measured:
  // +148 MiB after 3,300 random tokens). When the head does not read those bytes (a packed
  // XNNPACK head, or an untied lm_head) and they are a file mapping, they are unmapped every
  // kEmbeddingRowsPerDrop rows; a row read again comes back from the page cache.
  static constexpr int kEmbeddingRowsPerDrop = 64;
  bool drop_embedding_pages = false;
  int embedding_rows_since_drop = 0;

  explicit Impl(Arena a) : arena(std::move(a)) {}

  void observe(int stage, int first_position, int count, const float* hidden) const {
    if (observer)
      observer(stage, first_position, count,
               std::span<const float>(hidden, sz(count) * sz(hp.hidden_size)));
  }

  Status run_batch(std::span<const std::int32_t> tokens, int first_position, bool last_batch,
                   LogitsMode mode, float* logits);
  Status deltanet(std::size_t layer, int n);
  Status attention(std::size_t layer, int n, int first_position);
  Status mlp(std::size_t layer, int n);
  void state_header(StateHeader& h) const;
};

// ---- one micro-batch through the stack -------------------------------------------------
// x [n, D] = embed(tokens); per layer: x += Mixer(RMSNorm_in(x)); x += MLP(RMSNorm_post(x)).

Status Executor::Impl::run_batch(std::span<const std::int32_t> tokens, int first_position,
                                 bool last_batch, LogitsMode mode, float* logits) {
  const int n = static_cast<int>(tokens.size());
  const int D = hp.hidden_size;
  const std::size_t rows_d = sz(n) * sz(D);
  kernels::embedding_lookup_ref(weights->embed_tokens, tokens, buf.residual);
  if (drop_embedding_pages && (embedding_rows_since_drop += n) >= kEmbeddingRowsPerDrop) {
    drop_file_mapped_pages(weights->embed_tokens.data, weights->embed_tokens.data_bytes);
    drop_file_mapped_pages(weights->embed_tokens.scales, weights->embed_tokens.scales_bytes);
    embedding_rows_since_drop = 0;
  }
  observe(0, first_position, n, buf.residual);

  for (std::size_t l = 0; l < weights->layers.size(); ++l) {
    const LayerWeights& lw = weights->layers[l];
    ks->rmsnorm(buf.residual, lw.input_layernorm.f32(), n, D, sz(D), hp.rms_norm_eps, buf.normed);
    if (lw.kind == LayerKind::kLinearAttention)
      LINNET_TRY(deltanet(l, n));
    else
      LINNET_TRY(attention(l, n, first_position));
    for (std::size_t i = 0; i < rows_d; ++i) buf.residual[i] += buf.mixer_out[i];
    ks->rmsnorm(buf.residual, lw.post_attention_layernorm.f32(), n, D, sz(D), hp.rms_norm_eps, buf.normed);
    LINNET_TRY(mlp(l, n));
    for (std::size_t i = 0; i < rows_d; ++i) buf.residual[i] += buf.mixer_out[i];
    observe(static_cast<int>(l) + 1, first_position, n, buf.residual);
  }

  const int final_stage = hp.num_layers + 1;
  const float* final_norm = weights->norm.f32();
  const std::size_t V = sz(hp.vocab_size);
  if (mode == LogitsMode::kAll) {
    // logits rows for this micro-batch start at row first_position - (the call's first).
    ks->rmsnorm(buf.residual, final_norm, n, D, sz(D), hp.rms_norm_eps, buf.normed);
    observe(final_stage, first_position, n, buf.normed);
    LINNET_TRY(head->run(buf.normed, n, logits));
  }
  if (last_batch) {
    // The last position's final hidden state, kept for kLast and logits_for_rows().
    ks->rmsnorm(buf.residual + (rows_d - sz(D)), final_norm, 1, D, sz(D), hp.rms_norm_eps, buf.last_hidden);
    has_last_hidden = true;
    if (mode == LogitsMode::kLast) {
      observe(final_stage, first_position + n - 1, 1, buf.last_hidden);
      LINNET_TRY(head->run(buf.last_hidden, 1, logits));
    }
  }
  (void)V;
  return ok_status();
}

// Gated DeltaNet mixer on buf.normed [n, D] -> buf.mixer_out [n, D].
Status Executor::Impl::deltanet(std::size_t layer, int n) {
  const LinearAttentionWeights& w = weights->layers[layer].linear;
  LayerKernels& k = layer_kernels[layer];
  LayerStateBuffers& st = buf.layers[layer];
  const int C = hp.linear_conv_channels();
  const int Hk = hp.linear_num_key_heads, Hv = hp.linear_num_value_heads;
  const int dk = hp.linear_key_head_dim, dv = hp.linear_value_head_dim;

  // qkv [n, C], z [n, Hv*dv], b and a [n, Hv]: one input, quantized once.
  LINNET_TRY(kernels::run_on_same_input(buf.normed, n,
                                        {{k.in_proj_qkv.get(), buf.qkv},
                                         {k.in_proj_z.get(), buf.z},
                                         {k.in_proj_b.get(), buf.gate_b},
                                         {k.in_proj_a.get(), buf.gate_a}}));

  // Causal conv over time + silu; the state keeps the last K-1 pre-conv rows.
  ks->causal_conv1d_silu(buf.qkv, n, C, w.conv1d.f32(), hp.linear_conv_kernel_dim, st.conv_state, buf.conv_out);
  // Row t of conv_out: q [Hk, dk] | k [Hk, dk] | v [Hv, dv]. q = l2norm(q)/sqrt(dk), k = l2norm(k).
  const float q_scale = 1.0f / std::sqrt(static_cast<float>(dk));
  for (int t = 0; t < n; ++t) {
    float* row = buf.conv_out + sz(t) * sz(C);
    ks->l2norm_scale(row, Hk, dk, sz(dk), 1e-6f, q_scale);
    ks->l2norm_scale(row + sz(Hk) * sz(dk), Hk, dk, sz(dk), 1e-6f, 1.0f);
  }
  // g = -exp(A_log) softplus(a + dt_bias) into gate_a; beta = sigmoid(b) into gate_b. [n, Hv]
  ks->gated_delta_gates(buf.gate_a, buf.gate_b, w.a_log.f32(), w.dt_bias.f32(), n, Hv, buf.gate_a, buf.gate_b);

  const kernels::GatedDeltaShape shape{Hk, Hv, dk, dv};
  if (n == 1)
    ks->gated_delta_decode(shape, buf.conv_out, buf.gate_a, buf.gate_b, st.recurrent_state, buf.core);
  else
    ks->gated_delta_prefill(shape, n, buf.conv_out, buf.gate_a, buf.gate_b, st.recurrent_state, buf.core,
                            buf.delta_scratch, buf.delta_scratch_floats);

  // o = RMSNormGated(o per head, z per head): [n*Hv rows of dv], then out_proj.
  ks->rmsnorm_gated(buf.core, buf.z, w.norm.f32(), n * Hv, dv, sz(dv), hp.rms_norm_eps, buf.core);
  return k.out_proj->run(buf.core, n, buf.mixer_out);
}

// Gated attention mixer on buf.normed [n, D] -> buf.mixer_out [n, D]; tokens at positions
// first_position .. first_position + n - 1 are appended to the KV cache.
Status Executor::Impl::attention(std::size_t layer, int n, int first_position) {
  const FullAttentionWeights& w = weights->layers[layer].attention;
  LayerKernels& k = layer_kernels[layer];
  LayerStateBuffers& st = buf.layers[layer];
  const int H = hp.num_attention_heads, Hkv = hp.num_key_value_heads, hd = hp.head_dim;
  const int ctx = options.context_length;
  const int rot = hp.rotary_dim();
  const std::size_t q_row = sz(H) * 2 * sz(hd);  // [H, 2*hd]: per head [query | gate]
  const std::size_t kv_row = sz(Hkv) * sz(hd);
  const KvCacheShape kv_shape{buf.kv_type, Hkv, ctx, hd};

  // q_gate [n, H, 2*hd], k and v [n, Hkv*hd]: one input, quantized once.
  LINNET_TRY(kernels::run_on_same_input(
      buf.normed, n, {{k.q_proj.get(), buf.q_gate}, {k.k_proj.get(), buf.k}, {k.v_proj.get(), buf.v}}));

  for (int t = 0; t < n; ++t) {
    const int pos = first_position + t;
    float* qt = buf.q_gate + sz(t) * q_row;
    float* kt = buf.k + sz(t) * kv_row;
    const float* vt = buf.v + sz(t) * kv_row;
    ks->rmsnorm(qt, w.q_norm.f32(), H, hd, 2 * sz(hd), hp.rms_norm_eps, qt);  // query halves only
    ks->rmsnorm(kt, w.k_norm.f32(), Hkv, hd, sz(hd), hp.rms_norm_eps, kt);
    if (rot > 0) {
      kernels::rope_cos_sin_ref(pos, rot, hp.rope_theta, buf.rope_cos, buf.rope_sin);
      ks->rope_apply(qt, H, 2 * sz(hd), rot, buf.rope_cos, buf.rope_sin);
      ks->rope_apply(kt, Hkv, sz(hd), rot, buf.rope_cos, buf.rope_sin);
    }
    // Cache row `pos` of every KV head (kv_cache.h).
    store_kv_rows(kv_shape, st, pos, kt, vt);
  }

  const kernels::AttentionShape shape{H, Hkv, hd};
  with_kv_views(kv_shape, st, [&](auto k_cache, auto v_cache) {
    if (n == 1)
      ks->attention_decode(shape, buf.q_gate, 2 * sz(hd), k_cache, v_cache, ctx, first_position + 1, buf.attn,
                           buf.attn_scratch, buf.attn_scratch_floats);
    else
      ks->attention_prefill(shape, n, first_position, buf.q_gate, q_row, 2 * sz(hd), k_cache, v_cache, ctx, buf.attn,
                            buf.attn_scratch, buf.attn_scratch_floats);
  });

  // attn * sigmoid(gate), per head, then o_proj.
  for (int t = 0; t < n; ++t)
    for (int h = 0; h < H; ++h)
      ks->mul_sigmoid(buf.attn + (sz(t) * sz(H) + sz(h)) * sz(hd),
                      buf.q_gate + sz(t) * q_row + sz(h) * 2 * sz(hd) + sz(hd), sz(hd));
  return k.o_proj->run(buf.attn, n, buf.mixer_out);
}

// SwiGLU MLP on buf.normed [n, D] -> buf.mixer_out [n, D]: down(silu(gate(x)) * up(x)).
Status Executor::Impl::mlp(std::size_t layer, int n) {
  LayerKernels& k = layer_kernels[layer];
  // gate and up [n, I]: one input, quantized once.
  LINNET_TRY(kernels::run_on_same_input(buf.normed, n,
                                        {{k.gate_proj.get(), buf.mlp_gate}, {k.up_proj.get(), buf.mlp_up}}));
  ks->swiglu(buf.mlp_gate, buf.mlp_up, sz(n) * sz(hp.intermediate_size), buf.mlp_gate);
  return k.down_proj->run(buf.mlp_gate, n, buf.mixer_out);
}

void Executor::Impl::state_header(StateHeader& h) const {
  h.magic = kStateMagic;
  h.version = kStateVersion;
  h.position = position;
  h.has_last_hidden = has_last_hidden ? 1 : 0;
  const int dims[10] = {hp.num_layers, hp.hidden_size, hp.linear_conv_channels(), hp.linear_conv_kernel_dim,
                        hp.linear_num_value_heads, hp.linear_key_head_dim, hp.linear_value_head_dim,
                        hp.num_key_value_heads, hp.head_dim, hp.vocab_size};
  std::memcpy(h.dims, dims, sizeof dims);
  h.kv_cache_type = static_cast<std::int32_t>(buf.kv_type);
}

// ---- public API ------------------------------------------------------------------------

Executor::Executor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Executor::Executor(Executor&&) noexcept = default;
Executor& Executor::operator=(Executor&&) noexcept = default;
Executor::~Executor() = default;

Result<Executor> Executor::create(const ModelWeights& weights, const ExecutorOptions& options) {
  const HyperParams& hp = weights.hp;
  LINNET_TRY(check_hyper_params(hp));
  const std::int64_t D = hp.hidden_size, I = hp.intermediate_size, V = hp.vocab_size;
  if (weights.layers.size() != sz(hp.num_layers))
    return Error(ErrorCode::kCorrupt, "weights have " + std::to_string(weights.layers.size()) + " layers, config " +
                                          std::to_string(hp.num_layers));
  LINNET_TRY(expect_shape(weights.embed_tokens, {V, D}, "embed_tokens"));
  LINNET_TRY(expect_f32(weights.norm, {D}, "norm"));
  const TensorView& head_view = weights.lm_head.present() ? weights.lm_head : weights.embed_tokens;
  LINNET_TRY(expect_shape(head_view, {V, D}, "lm_head"));

  MemoryPlan plan = LINNET_TRY(plan_memory(hp, options));
  Arena arena = LINNET_TRY(Arena::create(plan.total_bytes));
  auto impl = std::make_unique<Impl>(std::move(arena));
  impl->weights = &weights;
  impl->hp = hp;
  impl->options = options;
  impl->plan = std::move(plan);
  BumpAllocator alloc(impl->arena.data(), impl->arena.size());
  carve_executor_buffers(hp, options, alloc, impl->buf, nullptr);
  if (alloc.overflowed() || alloc.used() != impl->plan.total_bytes)
    return Error(ErrorCode::kInternal, "executor buffers do not match the memory plan");

  kernels::LinearOptions lin{options.batch_tokens, options.threads};
  // Speed: one thread pool, and XNNPACK for the linear layers (see ExecutorOptions).
  impl->pool = LINNET_TRY(kernels::ThreadPool::create(options.threads));
  {
    auto features = kernels::detect_cpu_features();
    impl->ks.emplace(kernels::KernelSet::select(features.ok() ? *features : kernels::CpuFeatures{}, &*impl->pool,
                                                options.reference_kernels
                                                    ? std::optional<kernels::KernelTier>(kernels::KernelTier::kReference)
                                                    : std::nullopt));
  }
  // Which weights are tiled decides who runs what (LinearImpl, memory_plan.h).
  const std::vector<const TensorView*> linear_views = linear_weight_views(weights);
  bool any_tiled = false;
  std::size_t weight_bytes = 0;
  for (const TensorView* t : linear_views) {
    any_tiled = any_tiled || is_tiled(t->dtype);
    weight_bytes += t->data_bytes + t->scales_bytes;
  }
  const std::int64_t max_k = linear_max_in_features(hp);
  const auto cpu = kernels::detect_cpu_features();
  if (options.linear != LinearImpl::kReference && any_tiled) {
    kernels::TiledLinearOptions to;
    to.max_rows = options.batch_tokens;
    to.max_in_features = max_k;
    to.pool = &*impl->pool;
    to.cpu = cpu.ok() ? *cpu : kernels::CpuFeatures{};
    impl->tiled = LINNET_TRY(kernels::TiledLinearBackend::create(to));
  }
  if (options.linear != LinearImpl::kReference) {
    kernels::XnnLinearOptions xo;
    xo.max_rows = options.batch_tokens;
    xo.max_in_features = max_k;
    xo.pool = &*impl->pool;
    // The cache file only when XNNPACK runs the bulk of the weights: beside Linnet's kernels
    // it runs only the small f32 gate inputs, packed in memory (nothing written at load).
    const bool xnnpack_runs_bulk = options.linear == LinearImpl::kXnnpack || !any_tiled;
    if (xnnpack_runs_bulk) xo.cache_path = options.packed_weights_cache;
    xo.weights_identity = options.weights_identity;
    // Address space reserved for the cache file: packing f16 as f32 can double a weight.
    xo.cache_reserve_bytes = 3 * weight_bytes + (std::size_t{64} << 20);
    xo.log = options.log;
    impl->xnn = LINNET_TRY(kernels::XnnLinearBackend::create(xo));
    // XNNPACK is offered 4-bit weights first only when it runs the bulk (its 4-bit check then
    // runs once, at the first such weight); say when it turned them down.
    const bool offers_four_bit = std::any_of(linear_views.begin(), linear_views.end(), [](const TensorView* t) {
      return t->dtype == DType::kQ4 || t->dtype == DType::kQ4T;
    });
    if (options.log && offers_four_bit && xnnpack_runs_bulk && !impl->xnn->four_bit_kernels_agree())
      options.log("XNNPACK's 4-bit operator disagrees with the reference on this CPU: Linnet's kernels run the 4-bit weights");
  }
  if (options.linear == LinearImpl::kXnnpack) {
    lin.backend = impl->xnn.get();
    lin.fallback_backend = impl->tiled.get();
  } else {
    lin.backend = impl->tiled.get();
    lin.fallback_backend = impl->xnn.get();
  }
  auto bind = [&](const TensorView& t, std::initializer_list<std::int64_t> shape, const std::string& what,
                  std::unique_ptr<LinearKernel>& out) -> Status {
    LINNET_TRY(expect_shape(t, shape, what));
    auto kernel = kernels::create_linear_kernel(t, lin);
    if (!kernel.ok()) return Error(kernel.error()).with_context(what);
    out = std::move(kernel).value();
    return ok_status();
  };

  const std::int64_t C = hp.linear_conv_channels(), Hv = hp.linear_num_value_heads;
  const std::int64_t dv = hp.linear_value_head_dim, Kc = hp.linear_conv_kernel_dim;
  const std::int64_t H = hp.num_attention_heads, Hkv = hp.num_key_value_heads, hd = hp.head_dim;
  impl->layer_kernels.resize(weights.layers.size());
  for (std::size_t l = 0; l < weights.layers.size(); ++l) {
    const LayerWeights& lw = weights.layers[l];
    LayerKernels& k = impl->layer_kernels[l];
    const std::string p = "layers." + std::to_string(l) + ".";
    if (lw.kind != hp.layer_types[l]) return Error(ErrorCode::kCorrupt, p + ": layer kind differs from layer_types");
    LINNET_TRY(expect_f32(lw.input_layernorm, {D}, p + "input_layernorm"));
    LINNET_TRY(expect_f32(lw.post_attention_layernorm, {D}, p + "post_attention_layernorm"));
    LINNET_TRY(bind(lw.gate_proj, {I, D}, p + "mlp.gate_proj", k.gate_proj));
    LINNET_TRY(bind(lw.up_proj, {I, D}, p + "mlp.up_proj", k.up_proj));
    LINNET_TRY(bind(lw.down_proj, {D, I}, p + "mlp.down_proj", k.down_proj));
    if (lw.kind == LayerKind::kLinearAttention) {
      const LinearAttentionWeights& w = lw.linear;
      const std::string q = p + "linear_attn.";
      LINNET_TRY(bind(w.in_proj_qkv, {C, D}, q + "in_proj_qkv", k.in_proj_qkv));
      LINNET_TRY(bind(w.in_proj_z, {Hv * dv, D}, q + "in_proj_z", k.in_proj_z));
      LINNET_TRY(bind(w.in_proj_b, {Hv, D}, q + "in_proj_b", k.in_proj_b));
      LINNET_TRY(bind(w.in_proj_a, {Hv, D}, q + "in_proj_a", k.in_proj_a));
      LINNET_TRY(bind(w.out_proj, {D, Hv * dv}, q + "out_proj", k.out_proj));
      LINNET_TRY(expect_f32(w.conv1d, {C, 1, Kc}, q + "conv1d"));
      LINNET_TRY(expect_f32(w.dt_bias, {Hv}, q + "dt_bias"));
      LINNET_TRY(expect_f32(w.a_log, {Hv}, q + "A_log"));
      LINNET_TRY(expect_f32(w.norm, {dv}, q + "norm"));
    } else {
      const FullAttentionWeights& w = lw.attention;
      const std::string q = p + "self_attn.";
      LINNET_TRY(bind(w.q_proj, {H * 2 * hd, D}, q + "q_proj", k.q_proj));
      LINNET_TRY(bind(w.k_proj, {Hkv * hd, D}, q + "k_proj", k.k_proj));
      LINNET_TRY(bind(w.v_proj, {Hkv * hd, D}, q + "v_proj", k.v_proj));
      LINNET_TRY(bind(w.o_proj, {D, H * hd}, q + "o_proj", k.o_proj));
      LINNET_TRY(expect_f32(w.q_norm, {hd}, q + "q_norm"));
      LINNET_TRY(expect_f32(w.k_norm, {hd}, q + "k_norm"));
    }
  }
  {
    auto head = kernels::create_linear_kernel(head_view, lin);
    if (!head.ok()) return Error(head.error()).with_context("lm_head");
    impl->head = std::move(head).value();
    const bool head_reads_embedding =
        weights.embed_tokens.data == head_view.data && impl->head->run_reads_weight_bytes();
    impl->drop_embedding_pages = weights.file_mapped && !head_reads_embedding;
    // The embedding is read row by row with the same layouts; validate it the same way
    // (with the reference: nothing to pack).
    kernels::LinearOptions check = lin;
    check.backend = check.fallback_backend = nullptr;
    auto embed = kernels::create_linear_kernel(weights.embed_tokens, check);
    if (!embed.ok()) return Error(embed.error()).with_context("embed_tokens");
  }
  // Speed: writes the packed-weights cache on a first load; XNNPACK runs only after this.
  if (impl->xnn) LINNET_TRY(impl->xnn->finish_loading());
  return Executor(std::move(impl));
}

Status Executor::forward(std::span<const std::int32_t> tokens, LogitsMode mode, std::span<float> logits) {
  const kernels::FlushDenormals no_denormals;  // on this thread; the pool's threads through its flag
  Impl& m = *impl_;
  const HyperParams& hp = m.hp;
  if (tokens.empty()) return Error(ErrorCode::kInvalidArgument, "forward: no tokens");
  if (tokens.size() > sz(m.options.context_length) ||
      m.position + static_cast<int>(tokens.size()) > m.options.context_length)
    return Error(ErrorCode::kOutOfRange, "forward: position " + std::to_string(m.position) + " + " +
                                             std::to_string(tokens.size()) + " tokens exceeds the context length " +
                                             std::to_string(m.options.context_length));
  for (std::int32_t id : tokens)
    if (id < 0 || id >= hp.vocab_size)
      return Error(ErrorCode::kInvalidArgument, "forward: token id " + std::to_string(id) + " outside [0, " +
                                                    std::to_string(hp.vocab_size) + ")");
  const std::size_t V = sz(hp.vocab_size);
  const std::size_t need = mode == LogitsMode::kAll ? tokens.size() * V : mode == LogitsMode::kLast ? V : 0;
  if (logits.size() < need)
    return Error(ErrorCode::kInvalidArgument, "forward: logits span holds " + std::to_string(logits.size()) +
                                                  " floats, " + std::to_string(need) + " needed");

  const std::size_t B = sz(m.options.batch_tokens);
  for (std::size_t start = 0; start < tokens.size(); start += B) {
    const std::size_t count = std::min(B, tokens.size() - start);
    const bool last = start + count == tokens.size();
    float* out = mode == LogitsMode::kAll ? logits.data() + start * V : logits.data();
    Status s = m.run_batch(tokens.subspan(start, count), m.position + static_cast<int>(start), last, mode, out);
    if (!s.ok()) {
      // A kernel failed half-way: the state is inconsistent, start over.
      reset();
      return std::move(s).error();
    }
  }
  m.position += static_cast<int>(tokens.size());
  return ok_status();
}

Status Executor::logits_for_rows(std::span<const std::int32_t> rows, std::span<float> out) const {
  const Impl& m = *impl_;
  if (!m.has_last_hidden) return Error(ErrorCode::kFailedPrecondition, "logits_for_rows: no tokens processed yet");
  if (out.size() < rows.size()) return Error(ErrorCode::kInvalidArgument, "logits_for_rows: output span too small");
  for (std::int32_t r : rows)
    if (r < 0 || r >= m.hp.vocab_size)
      return Error(ErrorCode::kInvalidArgument, "logits_for_rows: row " + std::to_string(r) + " outside the vocabulary");
  return m.head->run_rows(m.buf.last_hidden, rows, out.data());
}

int Executor::position() const { return impl_->position; }
int Executor::context_length() const { return impl_->options.context_length; }

void Executor::reset() {
  Impl& m = *impl_;
  const HyperParams& hp = m.hp;
  const std::size_t conv = sz(hp.linear_conv_kernel_dim - 1) * sz(hp.linear_conv_channels());
  const std::size_t rec = sz(hp.linear_num_value_heads) * sz(hp.linear_key_head_dim) * sz(hp.linear_value_head_dim);
  for (LayerStateBuffers& st : m.buf.layers) {
    if (st.conv_state != nullptr) std::memset(st.conv_state, 0, conv * sizeof(float));
    if (st.recurrent_state != nullptr) std::memset(st.recurrent_state, 0, rec * sizeof(float));
  }
  m.position = 0;
  m.has_last_hidden = false;
}

// Snapshot layout: StateHeader, then per layer in order: DeltaNet conv [K-1, C] and
// recurrent [Hv, dk, dv]; attention: the K and V rows [0, position) of each KV head in the
// cache's element type (int8 with their row scales; kv_cache.h gives the order); then the
// last final hidden [D]. Everything else float32, native byte order.
namespace {

// Calls fn(bytes_pointer, byte_count) for each piece of the snapshot after the header, in
// order; sizes (state_bytes) and copies (save/load) share it so they cannot disagree.
template <typename Fn>
void for_each_state_piece(const HyperParams& hp, const ExecutorBuffers& buf, int position, int ctx, Fn&& fn) {
  const std::size_t conv = sz(hp.linear_conv_kernel_dim - 1) * sz(hp.linear_conv_channels());
  const std::size_t rec = sz(hp.linear_num_value_heads) * sz(hp.linear_key_head_dim) * sz(hp.linear_value_head_dim);
  const KvCacheShape kv{buf.kv_type, hp.num_key_value_heads, ctx, hp.head_dim};
  for (const LayerStateBuffers& st : buf.layers) {
    if (st.conv_state != nullptr) {
      fn(reinterpret_cast<std::uint8_t*>(st.conv_state), conv * sizeof(float));
      fn(reinterpret_cast<std::uint8_t*>(st.recurrent_state), rec * sizeof(float));
    } else {
      for_each_kv_snapshot_piece(kv, st, position, fn);
    }
  }
  fn(reinterpret_cast<std::uint8_t*>(buf.last_hidden), sz(hp.hidden_size) * sizeof(float));
}

}  // namespace

std::size_t Executor::state_bytes() const {
  const Impl& m = *impl_;
  std::size_t bytes = sizeof(StateHeader);
  for_each_state_piece(m.hp, m.buf, m.position, m.options.context_length,
                       [&](std::uint8_t*, std::size_t n) { bytes += n; });
  return bytes;
}

std::size_t Executor::state_bytes_at(const HyperParams& hp, KvCacheType kv_cache, int position) {
  // The pieces for_each_state_piece walks: per DeltaNet layer its conv [K-1, C] and recurrent
  // [Hv, dk, dv] f32 states; per attention layer K and V rows [Hkv, position] of
  // kv_cache_row_bytes each (an int8 row with its scale); the last hidden [D] f32.
  std::size_t bytes = sizeof(StateHeader) + sz(hp.hidden_size) * sizeof(float);
  const std::size_t conv = sz(hp.linear_conv_kernel_dim - 1) * sz(hp.linear_conv_channels());
  const std::size_t rec = sz(hp.linear_num_value_heads) * sz(hp.linear_key_head_dim) * sz(hp.linear_value_head_dim);
  const std::size_t kv_rows = 2 * sz(hp.num_key_value_heads) * sz(position);
  for (LayerKind kind : hp.layer_types)
    bytes += kind == LayerKind::kLinearAttention ? (conv + rec) * sizeof(float)
                                                 : kv_rows * kv_cache_row_bytes(kv_cache, hp.head_dim);
  return bytes;
}

Status Executor::save_state(std::span<std::uint8_t> out) const {
  const Impl& m = *impl_;
  if (out.size() < state_bytes())
    return Error(ErrorCode::kInvalidArgument, "save_state: buffer of " + std::to_string(out.size()) + " bytes, " +
                                                  std::to_string(state_bytes()) + " needed");
  StateHeader h{};
  m.state_header(h);
  std::memcpy(out.data(), &h, sizeof h);
  std::size_t at = sizeof(StateHeader);
  for_each_state_piece(m.hp, m.buf, m.position, m.options.context_length, [&](std::uint8_t* p, std::size_t n) {
    std::memcpy(out.data() + at, p, n);
    at += n;
  });
  return ok_status();
}

Status Executor::load_state(std::span<const std::uint8_t> in) {
  Impl& m = *impl_;
  if (in.size() < sizeof(StateHeader)) return Error(ErrorCode::kCorrupt, "load_state: blob shorter than its header");
  StateHeader h{};
  std::memcpy(&h, in.data(), sizeof h);
  StateHeader mine{};
  m.state_header(mine);
  if (h.magic != kStateMagic || h.version != kStateVersion)
    return Error(ErrorCode::kCorrupt, "load_state: not a Linnet state snapshot (magic/version)");
  if (std::memcmp(h.dims, mine.dims, sizeof h.dims) != 0)
    return Error(ErrorCode::kInvalidArgument, "load_state: snapshot is from a model with other dimensions");
  if (h.kv_cache_type != mine.kv_cache_type)
    return Error(ErrorCode::kInvalidArgument, "load_state: snapshot has another KV cache type than this executor (" +
                                                  std::string(kv_cache_type_name(m.buf.kv_type)) + ")");
  if (h.position < 0 || h.position > m.options.context_length)
    return Error(ErrorCode::kOutOfRange, "load_state: snapshot position " + std::to_string(h.position) +
                                             " exceeds the context length " + std::to_string(m.options.context_length));
  const int old_position = m.position;
  m.position = h.position;
  const std::size_t need = state_bytes();
  m.position = old_position;
  if (in.size() < need)
    return Error(ErrorCode::kCorrupt, "load_state: blob of " + std::to_string(in.size()) + " bytes, " +
                                          std::to_string(need) + " needed for position " + std::to_string(h.position));
  std::size_t at = sizeof(StateHeader);
  for_each_state_piece(m.hp, m.buf, h.position, m.options.context_length, [&](std::uint8_t* p, std::size_t n) {
    std::memcpy(p, in.data() + at, n);
    at += n;
  });
  m.position = h.position;
  m.has_last_hidden = h.has_last_hidden != 0;
  return ok_status();
}

const MemoryPlan& Executor::memory_plan() const { return impl_->plan; }
const HyperParams& Executor::hyper_params() const { return impl_->hp; }
std::span<float> Executor::session_logits() {
  return {impl_->buf.session_logits, sz(impl_->hp.vocab_size)};
}
std::span<std::int32_t> Executor::session_tokens() {
  return {impl_->buf.session_tokens, sz(impl_->options.context_length)};
}

// ---- speed diagnostics (linnet bench) ----------------------------------------------------
std::string Executor::linear_backend_description() const {
  const Impl& m = *impl_;
  std::string kinds;  // the implementations in use, e.g. "xnnpack qd8-f32-qb4w, reference"
  auto note = [&](const std::unique_ptr<LinearKernel>& k) {
    if (k && kinds.find(k->implementation()) == std::string::npos)
      kinds += (kinds.empty() ? "" : ", ") + std::string(k->implementation());
  };
  for (const LayerKernels& k : m.layer_kernels)
    for (const auto* p : {&k.in_proj_qkv, &k.in_proj_z, &k.in_proj_b, &k.in_proj_a, &k.out_proj, &k.q_proj,
                          &k.k_proj, &k.v_proj, &k.o_proj, &k.gate_proj, &k.up_proj, &k.down_proj})
      note(*p);
  note(m.head);
  if (m.xnn && m.xnn->packed_bytes() > 0) kinds += "; packed weights " + m.xnn->cache_description();
  if (m.tiled) kinds += "; weights in place from the bundle (" + std::string(m.tiled->tier_name()) + ")";
  return kinds;
}
const char* Executor::kernel_set_name() const { return impl_->ks->name(); }
std::size_t Executor::linear_scratch_bytes() const {
  return (impl_->xnn ? impl_->xnn->scratch_bytes() : 0) + (impl_->tiled ? impl_->tiled->scratch_bytes() : 0);
}

std::size_t Executor::packed_weight_bytes() const { return impl_->xnn ? impl_->xnn->packed_bytes() : 0; }
std::uint64_t Executor::linear_busy_ns() const {
  return (impl_->xnn ? impl_->xnn->busy_ns() : 0) + (impl_->tiled ? impl_->tiled->busy_ns() : 0);
}
std::size_t Executor::linear_weight_bytes_per_token() const {
  const Impl& m = *impl_;
  std::size_t bytes = m.xnn ? m.xnn->packed_bytes() : 0;  // XNNPACK reads its packed copy
  auto add = [&](const std::unique_ptr<LinearKernel>& k) {
    if (k && k->run_reads_weight_bytes()) bytes += k->weight().data_bytes + k->weight().scales_bytes;
  };
  for (const LayerKernels& k : m.layer_kernels)
    for (const auto* p : {&k.in_proj_qkv, &k.in_proj_z, &k.in_proj_b, &k.in_proj_a, &k.out_proj, &k.q_proj,
                          &k.k_proj, &k.v_proj, &k.o_proj, &k.gate_proj, &k.up_proj, &k.down_proj})
      add(*p);
  add(m.head);
  return bytes;
}
void Executor::reset_speed_counters() {
  if (impl_->xnn) impl_->xnn->reset_counters();
  if (impl_->tiled) impl_->tiled->reset_counters();
}
void Executor::set_hidden_observer(HiddenObserver observer) { impl_->observer = std::move(observer); }

}  // namespace linnet
