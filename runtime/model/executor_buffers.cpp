#include "runtime/model/executor_buffers.h"

#include <algorithm>
#include <string>

#include "kernels/dispatch/kernel_set.h"

namespace linnet {
namespace {

std::size_t sz(int v) { return static_cast<std::size_t>(v); }

// Records the bytes taken between begin() and end() as one region.
class RegionRecorder {
 public:
  RegionRecorder(BumpAllocator& alloc, std::vector<MemoryRegion>* regions)
      : alloc_(alloc), regions_(regions) {}
  void begin() {
    alloc_.align();
    start_ = alloc_.used();
  }
  void end(std::string name, std::string description) {
    alloc_.align();
    if (regions_ != nullptr)
      regions_->push_back({std::move(name), std::move(description), start_, alloc_.used() - start_});
  }

 private:
  BumpAllocator& alloc_;
  std::vector<MemoryRegion>* regions_;
  std::size_t start_ = 0;
};

std::string dims(std::initializer_list<int> values) {
  std::string s = "[";
  for (int v : values) s += (s.size() > 1 ? ", " : "") + std::to_string(v);
  return s + "]";
}

}  // namespace

void carve_executor_buffers(const HyperParams& hp, const ExecutorOptions& options,
                            BumpAllocator& alloc, ExecutorBuffers& out,
                            std::vector<MemoryRegion>* regions) {
  const int D = hp.hidden_size;
  const int C = hp.linear_conv_channels();
  const int Hv = hp.linear_num_value_heads;
  const int dk = hp.linear_key_head_dim;
  const int dv = hp.linear_value_head_dim;
  const int H = hp.num_attention_heads;
  const int Hkv = hp.num_key_value_heads;
  const int hd = hp.head_dim;
  const int K = hp.linear_conv_kernel_dim;
  const int B = options.batch_tokens;
  const int ctx = options.context_length;
  const int threads = options.threads;
  const std::size_t b = sz(B);
  int attention_layers = 0, linear_layers = 0;
  for (LayerKind kind : hp.layer_types) (kind == LayerKind::kFullAttention ? attention_layers : linear_layers)++;

  out.layers.assign(hp.layer_types.size(), LayerStateBuffers{});
  RegionRecorder region(alloc, regions);

  region.begin();
  out.kv_type = options.kv_cache;
  const bool int8 = options.kv_cache == KvCacheType::kInt8;
  const std::size_t kv_bytes = sz(Hkv) * sz(ctx) * sz(hd) * kv_cache_element_bytes(options.kv_cache);
  for (std::size_t l = 0; l < hp.layer_types.size(); ++l) {
    if (hp.layer_types[l] != LayerKind::kFullAttention) continue;
    out.layers[l].k_cache = alloc.take_bytes(kv_bytes);
    out.layers[l].v_cache = alloc.take_bytes(kv_bytes);
    if (int8) {
      out.layers[l].k_scales = alloc.take<float>(sz(Hkv) * sz(ctx));
      out.layers[l].v_scales = alloc.take<float>(sz(Hkv) * sz(ctx));
    }
  }
  region.end("kv_cache", std::to_string(attention_layers) + " attention layers x K,V " + dims({Hkv, ctx, hd}) + " " +
                             kv_cache_type_name(options.kv_cache) +
                             (int8 ? " + scales " + dims({Hkv, ctx}) + " f32" : std::string()));

  region.begin();
  for (std::size_t l = 0; l < hp.layer_types.size(); ++l)
    if (hp.layer_types[l] == LayerKind::kLinearAttention)
      out.layers[l].conv_state = alloc.take<float>(sz(K - 1) * sz(C));
  region.end("conv_state", std::to_string(linear_layers) + " DeltaNet layers x " + dims({K - 1, C}) + " f32");

  region.begin();
  for (std::size_t l = 0; l < hp.layer_types.size(); ++l)
    if (hp.layer_types[l] == LayerKind::kLinearAttention)
      out.layers[l].recurrent_state = alloc.take<float>(sz(Hv) * sz(dk) * sz(dv));
  region.end("recurrent_state", std::to_string(linear_layers) + " DeltaNet layers x " + dims({Hv, dk, dv}) + " f32");

  region.begin();
  out.residual = alloc.take<float>(b * sz(D));
  out.normed = alloc.take<float>(b * sz(D));
  out.mixer_out = alloc.take<float>(b * sz(D));
  out.last_hidden = alloc.take<float>(sz(D));
  // The three overlays start at the same offset; the region ends after the largest.
  const std::size_t overlay = alloc.used();
  std::size_t overlay_end = overlay;
  out.qkv = alloc.take<float>(b * sz(C));
  out.conv_out = alloc.take<float>(b * sz(C));
  out.z = alloc.take<float>(b * sz(Hv) * sz(dv));
  out.gate_a = alloc.take<float>(b * sz(Hv));
  out.gate_b = alloc.take<float>(b * sz(Hv));
  out.core = alloc.take<float>(b * sz(Hv) * sz(dv));
  overlay_end = std::max(overlay_end, alloc.used());
  alloc.rewind(overlay);
  out.q_gate = alloc.take<float>(b * sz(H) * 2 * sz(hd));
  out.k = alloc.take<float>(b * sz(Hkv) * sz(hd));
  out.v = alloc.take<float>(b * sz(Hkv) * sz(hd));
  out.attn = alloc.take<float>(b * sz(H) * sz(hd));
  overlay_end = std::max(overlay_end, alloc.used());
  alloc.rewind(overlay);
  out.mlp_gate = alloc.take<float>(b * sz(hp.intermediate_size));
  out.mlp_up = alloc.take<float>(b * sz(hp.intermediate_size));
  overlay_end = std::max(overlay_end, alloc.used());
  alloc.advance_to(overlay_end);
  region.end("activations", "micro-batch of " + std::to_string(B) +
                                " tokens: residual/normed/out [B, D] + max(DeltaNet, attention, MLP) buffers");

  region.begin();
  kernels::GatedDeltaShape shape{hp.linear_num_key_heads, Hv, dk, dv};
  // Per-thread scratch of the largest kernel tier (kernels/dispatch/kernel_set.h).
  out.delta_scratch_floats = kernels::KernelSet::gated_delta_prefill_scratch_floats(shape);
  out.attn_scratch_floats = kernels::KernelSet::attention_prefill_scratch_floats(ctx);
  out.delta_scratch = alloc.take<float>(sz(threads) * out.delta_scratch_floats);
  out.attn_scratch = alloc.take<float>(sz(threads) * out.attn_scratch_floats);
  out.rope_cos = alloc.take<float>(sz(std::max(hp.rotary_dim() / 2, 1)));
  out.rope_sin = alloc.take<float>(sz(std::max(hp.rotary_dim() / 2, 1)));
  region.end("scratch", std::to_string(threads) + " threads x (DeltaNet chunk + attention scores " +
                            dims({kernels::kAttentionQueryBlock, ctx}) + ") + rope tables");

  region.begin();
  out.session_logits = alloc.take<float>(sz(hp.vocab_size));
  out.session_tokens = alloc.take<std::int32_t>(sz(ctx));
  region.end("session", "the session's logits " + dims({hp.vocab_size}) + " f32 + token history " + dims({ctx}) +
                            " ids");
}

}  // namespace linnet
