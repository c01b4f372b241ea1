// The executor's options (one struct, ExecutorOptions, with each default defined here):
// the session's options hold one whole (runtime/session/session.h), and the CLI, the C API
// and the serial server fill that one, so a new option is added in one place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/core/board_defaults.h"

namespace linnet {

// Element type of the KV cache. Attention math stays float32 whichever is stored.
//   kF16:  IEEE half; half the bytes of f32, rounding error ~5e-4 relative.
//   kInt8: int8 with a float scale per (position, KV head) row (kernels/reference/int8_rows.h):
//          a quarter of f32 plus 4 bytes a row; error at most half a step (max|row| / 254).
//   kF32:  exact; for checks against the reference.
enum class KvCacheType : std::uint8_t { kF16 = 0, kInt8 = 1, kF32 = 2 };

const char* kv_cache_type_name(KvCacheType type);  // "f16", "int8", "f32"

// Who runs the linear layers (kernels/linear.h).
//   kLinnet:    Linnet's own kernels for the tiled quantized weights (Q8T, Q4T, Q6T: in
//               place from the bundle, kernels/qlinear/); XNNPACK for the rest (f32, f16, the
//               untiled Q8/Q4 of schema-1 bundles). The default: the faster on every
//               bundle measured (docs/benchmarks.md).
//   kXnnpack:   XNNPACK wherever it has an operator (tiled Q8T/Q4T are rewritten into its
//               layouts and packed at load); Linnet's kernels only where it has none (Q6T).
//   kReference: the reference kernels everywhere (dequantizing on the fly; slow).
enum class LinearImpl : std::uint8_t { kLinnet = 0, kXnnpack = 1, kReference = 2 };
const char* linear_impl_name(LinearImpl impl);  // "linnet", "xnnpack", "reference"
std::optional<LinearImpl> parse_linear_impl(std::string_view name);
std::optional<KvCacheType> parse_kv_cache_type(std::string_view name);
// Bytes of one cached value (4, 2 or 1), and of one cached row of head_dim values with its
// scale (int8: + 4).
std::size_t kv_cache_element_bytes(KvCacheType type);
std::size_t kv_cache_row_bytes(KvCacheType type, int head_dim);

// The context a session, `linnet info`, `serve`, `bench`, `classify` and the C API plan for
// when none is given (capped by the model's max_position_embeddings).
inline constexpr int kDefaultContextLength = 4096;

struct ExecutorOptions {
  int context_length = kDefaultContextLength;  // maximum positions (KV cache rows); <= max_position_embeddings
  // Worker threads (per-thread scratch is planned for each); by default the board's
  // (boards/<board>.board `threads`).
  int threads = board_default_threads();
  // A forward() of many tokens runs through the layers in micro-batches of at most this many
  // tokens (the activation buffers are [batch_tokens, ...]); the DeltaNet inside a
  // micro-batch is chunked by 64. Results do not depend on it beyond float32 rounding.
  int batch_tokens = 128;

  // Speed: who runs the linear layers (LinearImpl above), on one thread pool of `threads`
  // shared with Linnet's other kernels. When XNNPACK runs the bulk of the weights (kXnnpack,
  // or a bundle without tiled weights) its packed weights go to `packed_weights_cache` (a
  // file, usually "<bundle>.xnnpack": packed on the first load, mapped on later ones;
  // empty: packed in memory), keyed by `weights_identity` (the bundle's content SHA-256);
  // the few weights XNNPACK runs beside Linnet's kernels (f32 gate inputs) pack in memory.
  LinearImpl linear = LinearImpl::kLinnet;
  // The KV cache's element type: f16 by default (half the memory and half the bytes a decode
  // step reads from it); int8 halves both again at long contexts.
  KvCacheType kv_cache = KvCacheType::kF16;
  // Run the non-linear kernels (DeltaNet, attention, norms) with the reference
  // implementations instead of the fastest this CPU has (kernels/dispatch/kernel_set.h).
  bool reference_kernels = false;
  std::string packed_weights_cache;
  std::string weights_identity;
  // Progress messages of loading (the first load says it is packing); null: silent.
  std::function<void(std::string_view)> log;
};

}  // namespace linnet
