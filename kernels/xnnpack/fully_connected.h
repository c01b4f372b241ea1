// One linear layer y[T, N] = x[T, K] W^T on XNNPACK, with XNNPACK's lifecycle kept visible:
//
//   create(W)  -> kCreated    packs W (into the packed-weights cache when one is given)
//   reshape(T) -> kReshaped   chooses tiles for T rows (again whenever T changes)
//   setup(...) -> kReady      binds x, y and the scratch (again after every reshape)
//   run()                     computes; may repeat while bound to the same buffers
//
// Calls out of this order are rejected with kFailedPrecondition, never forwarded to XNNPACK.
//
// Weights, by bundle dtype (layouts in runtime/bundle/bundle.fbs, verified against these
// operators by q4_layout_test.cpp):
//   Q4  -> convert_nc_f32_qd8 + fully_connected_nc_qd8_f32_qb4w (zero point 8, bf16 scales)
//   Q8  -> convert_nc_f32_qd8 + fully_connected_nc_qd8_f32_qc8w (f32 scales)
//   F32 -> fully_connected_nc_f32;  F16 -> fully_connected_nc_f32_f16
// For Q4/Q8 the activations are quantized per row to int8 first ("qd8": dynamic, one scale
// and zero point per row) into caller-provided scratch.
#pragma once

#include <xnnpack.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "runtime/bundle/model_view.h"
#include "runtime/core/result.h"
#include "kernels/xnnpack/packed_weights_cache.h"
#include "kernels/xnnpack/xnn_context.h"

namespace linnet::kernels {

class XnnFullyConnected {
 public:
  enum class Stage : std::uint8_t { kCreated, kReshaped, kReady };

  // Whether XNNPACK runs this dtype (F32, F16, Q8, Q4 with block 32k; not BF16).
  static bool supports(const TensorView& weight);

  // weight: rank 2 [N, K] (data and scales borrowed; XNNPACK reads them only here, while
  // packing). cache: null (XNNPACK mallocs the packed copy) or borrowed and outliving the
  // operator; the weight is recorded in it under weight.name.
  static Result<XnnFullyConnected> create(const XnnContext& context, const TensorView& weight,
                                          PackedWeightsCache* cache);

  XnnFullyConnected(XnnFullyConnected&& other) noexcept;
  XnnFullyConnected& operator=(XnnFullyConnected&& other) noexcept;
  XnnFullyConnected(const XnnFullyConnected&) = delete;
  XnnFullyConnected& operator=(const XnnFullyConnected&) = delete;
  ~XnnFullyConnected();

  // Bytes of scratch setup() needs for `rows` rows of K inputs: int8 activations with
  // XNNPACK's over-read padding, then the per-row quantization parameters. 0 for float weights.
  std::size_t scratch_bytes(std::size_t rows) const;
  static std::size_t qd8_scratch_bytes(std::size_t rows, std::size_t k);

  // The most bytes XNNPACK's packed copy of an [N, K] weight of any dtype it runs can take
  // (the memory plan's stated bound, docs/memory.md): N rounded up to 64 rows (wider than
  // any microkernel's tile), K rounded up to 32, at most 4 bytes a weight (f32, and f16 is
  // packed as f32; int8 and int4 take less, which leaves room for their block scales),
  // 16 bytes a row (bias, scale, sum) and 128 bytes of alignment and over-read padding.
  static std::size_t packed_bytes_bound(std::size_t n, std::size_t k);

  // rows >= 1. pool: borrowed for the call (null: single thread).
  Status reshape(std::size_t rows, pthreadpool_t pool);
  // x [rows, K] f32 (XNNPACK may read XNN_EXTRA_BYTES past its end), y [rows, N] f32,
  // scratch >= scratch_bytes(rows) bytes, 16-byte aligned. All caller-owned; they must stay
  // valid until the last run() before the next setup().
  Status setup(const float* x, float* y, std::span<std::byte> scratch);
  Status run(pthreadpool_t pool);

  Stage stage() const { return stage_; }
  std::size_t rows() const { return rows_; }
  std::size_t in_features() const { return k_; }
  std::size_t out_features() const { return n_; }
  DType dtype() const { return dtype_; }
  const char* name() const;  // e.g. "xnnpack qd8-f32-qb4w"

 private:
  XnnFullyConnected() = default;
  void destroy();

  DType dtype_ = DType::kF32;
  std::size_t n_ = 0, k_ = 0;
  xnn_operator_t convert_ = nullptr;  // f32 -> qd8 (Q4/Q8 only)
  xnn_operator_t fc_ = nullptr;
  Stage stage_ = Stage::kCreated;
  bool reshaped_once_ = false;
  std::size_t rows_ = 0;
};

}  // namespace linnet::kernels
