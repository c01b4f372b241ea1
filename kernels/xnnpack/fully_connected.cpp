#include "kernels/xnnpack/fully_connected.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "kernels/qlinear/tiled_pack.h"
#include "kernels/reference/half_ref.h"

namespace linnet::kernels {

namespace {

constexpr float kNoMin = -INFINITY;
constexpr float kNoMax = INFINITY;

bool is_quantized(DType d) { return d == DType::kQ4 || d == DType::kQ8; }

std::size_t align16(std::size_t v) { return (v + 15) & ~std::size_t{15}; }

// A tiled Q8T / Q4T weight rewritten in the untiled layout XNNPACK's operators take (Q8:
// int8 [N, K] with the same f32 row scales, exact; Q4: nibbles [N, K/2] with bf16 block
// scales, the f16 scales rounded to bf16 (7 mantissa bits instead of 10) and a zero scale
// (all-zero block) made the smallest normal, which XNNPACK requires). XNNPACK packs
// from these buffers at create(), so they live only for the call.
TensorView untile(const TensorView& w, std::vector<std::uint8_t>& data, std::vector<std::uint8_t>& scales) {
  const std::int64_t N = w.rows(), K = w.cols();
  const std::int64_t blocks = K / kTileBlockK;
  const auto* tiles = static_cast<const std::uint8_t*>(w.data);
  const std::size_t tile_bytes = tile_block_bytes(w.dtype);
  TensorView v = w;
  // Walks the tile-blocks in storage order (bundle.fbs): byte 32q + 4r + i of Q8T, and the
  // nibble of byte 32(q % 4) + 4r + i of Q4T, is weight (row 8g + r, k = 32b + 4q + i).
  if (w.dtype == DType::kQ8T) {
    data.resize(static_cast<std::size_t>(N * K));
    for (std::int64_t g = 0; g * kTileRows < N; ++g)
      for (std::int64_t b = 0; b < blocks; ++b) {
        const std::uint8_t* tb = tiles + static_cast<std::size_t>(g * blocks + b) * tile_bytes;
        for (std::int64_t r = 0; r < kTileRows && g * kTileRows + r < N; ++r)
          for (std::int64_t k = 0; k < kTileBlockK; ++k)
            data[static_cast<std::size_t>((g * kTileRows + r) * K + b * kTileBlockK + k)] = tb[32 * (k / 4) + 4 * r + k % 4];
      }
    scales.resize(static_cast<std::size_t>(N) * 4);
    std::memcpy(scales.data(), w.scales, scales.size());  // f32 per row, the same values
    v.dtype = DType::kQ8;
  } else {
    data.assign(static_cast<std::size_t>(N * K / 2), 0);
    scales.resize(static_cast<std::size_t>(N * blocks) * 2);
    const auto* half_scales = static_cast<const std::uint16_t*>(w.scales);
    for (std::int64_t g = 0; g * kTileRows < N; ++g)
      for (std::int64_t b = 0; b < blocks; ++b) {
        const std::uint8_t* tb = tiles + static_cast<std::size_t>(g * blocks + b) * tile_bytes;
        for (std::int64_t r = 0; r < kTileRows && g * kTileRows + r < N; ++r) {
          const std::int64_t n = g * kTileRows + r;
          for (std::int64_t k = 0; k < kTileBlockK; ++k) {
            const std::int64_t q = k / 4;
            const std::uint8_t byte = tb[32 * (q % 4) + 4 * r + k % 4];
            const auto u = static_cast<std::uint8_t>(q < 4 ? byte & 0x0F : byte >> 4);
            std::uint8_t& out = data[static_cast<std::size_t>((n * K + b * kTileBlockK + k) / 2)];
            out = static_cast<std::uint8_t>(out | (k % 2 == 0 ? u : u << 4));
          }
          // f16 -> bf16, rounded to nearest even; a zero scale (all-zero block) becomes the
          // smallest normal, which XNNPACK requires.
          float s = std::max(f16_to_f32(half_scales[(g * blocks + b) * kTileRows + r]), FLT_MIN);
          std::uint32_t bits;
          std::memcpy(&bits, &s, 4);
          bits += 0x7FFFu + ((bits >> 16) & 1u);
          const auto bf = static_cast<std::uint16_t>(bits >> 16);
          std::memcpy(scales.data() + (n * blocks + b) * 2, &bf, 2);
        }
      }
    v.dtype = DType::kQ4;
    v.block_size = kTileBlockK;
  }
  v.data = data.data();
  v.data_bytes = data.size();
  v.scales = scales.data();
  v.scales_bytes = scales.size();
  return v;
}

}  // namespace

bool XnnFullyConnected::supports(const TensorView& w) {
  if (w.rank != 2 || w.rows() <= 0 || w.cols() <= 0 || w.data == nullptr) return false;
  switch (w.dtype) {
    case DType::kF32:
    case DType::kF16:
      return true;
    case DType::kQ8:
      return w.scales != nullptr;
    case DType::kQ4:
      return w.scales != nullptr && w.block_size >= XNN_MIN_BLOCKSIZE && w.block_size % XNN_MIN_BLOCKSIZE == 0 &&
             w.cols() % w.block_size == 0;
    case DType::kQ8T:
    case DType::kQ4T:
      return w.scales != nullptr && w.cols() % kTileBlockK == 0;  // through untile()
    case DType::kQ6T:  // XNNPACK 2024-11 has no 6-bit operator
    case DType::kBF16:
      return false;  // XNNPACK 2024-11 has no bf16-weight fully-connected operator
  }
  return false;
}

Result<XnnFullyConnected> XnnFullyConnected::create(const XnnContext& context, const TensorView& w,
                                                    PackedWeightsCache* cache) {
  const std::string what = "XNNPACK linear " + std::string(w.name);
  if (!supports(w)) {
    return Error(ErrorCode::kUnsupported, what + ": dtype " + std::string(dtype_name(w.dtype)) +
                                              " / shape not supported by XNNPACK's fully-connected operators");
  }
  if (is_tiled(w.dtype)) {
    std::vector<std::uint8_t> data, scales;
    return create(context, untile(w, data, scales), cache);
  }
  XnnFullyConnected op;
  op.dtype_ = w.dtype;
  op.n_ = static_cast<std::size_t>(w.rows());
  op.k_ = static_cast<std::size_t>(w.cols());
  const std::size_t n = op.n_, k = op.k_;
  xnn_weights_cache_t provider = nullptr;
  if (cache != nullptr) {
    cache->bind_next(w.name);
    provider = cache->provider();
  }
  xnn_status st = xnn_status_success;
  switch (w.dtype) {
    case DType::kF32:
      st = xnn_create_fully_connected_nc_f32(k, n, k, n, static_cast<const float*>(w.data), nullptr, kNoMin, kNoMax,
                                             0, nullptr, provider, &op.fc_);
      break;
    case DType::kF16:
      st = xnn_create_fully_connected_nc_f32_f16(k, n, k, n, w.data, nullptr, kNoMin, kNoMax, 0, nullptr, provider,
                                                 &op.fc_);
      break;
    case DType::kQ8:
      st = xnn_create_fully_connected_nc_qd8_f32_qc8w(k, n, k, n, static_cast<const float*>(w.scales),
                                                      static_cast<const std::int8_t*>(w.data), nullptr, kNoMin,
                                                      kNoMax, 0, nullptr, provider, &op.fc_);
      break;
    case DType::kQ4:
      st = xnn_create_fully_connected_nc_qd8_f32_qb4w(k, n, k, n, w.block_size, /*kernel_zero_point=*/8,
                                                      static_cast<const std::uint16_t*>(w.scales), w.data, nullptr,
                                                      kNoMin, kNoMax, 0, nullptr, provider, &op.fc_);
      break;
    default:
      break;
  }
  LINNET_TRY(xnn_status_to(st, what + ": create"));
  if (is_quantized(w.dtype)) {
    LINNET_TRY(xnn_status_to(xnn_create_convert_nc_f32_qd8(0, &op.convert_), what + ": create f32->qd8 convert"));
  }
  return op;
}

XnnFullyConnected::XnnFullyConnected(XnnFullyConnected&& o) noexcept
    : dtype_(o.dtype_),
      n_(o.n_),
      k_(o.k_),
      convert_(std::exchange(o.convert_, nullptr)),
      fc_(std::exchange(o.fc_, nullptr)),
      stage_(o.stage_),
      reshaped_once_(o.reshaped_once_),
      rows_(o.rows_) {}

XnnFullyConnected& XnnFullyConnected::operator=(XnnFullyConnected&& o) noexcept {
  if (this != &o) {
    destroy();
    dtype_ = o.dtype_;
    n_ = o.n_;
    k_ = o.k_;
    convert_ = std::exchange(o.convert_, nullptr);
    fc_ = std::exchange(o.fc_, nullptr);
    stage_ = o.stage_;
    reshaped_once_ = o.reshaped_once_;
    rows_ = o.rows_;
  }
  return *this;
}

XnnFullyConnected::~XnnFullyConnected() { destroy(); }

void XnnFullyConnected::destroy() {
  if (convert_ != nullptr) xnn_delete_operator(convert_);
  if (fc_ != nullptr) xnn_delete_operator(fc_);
  convert_ = fc_ = nullptr;
}

std::size_t XnnFullyConnected::qd8_scratch_bytes(std::size_t rows, std::size_t k) {
  return align16(rows * k + XNN_EXTRA_BYTES) + (rows + XNN_EXTRA_QUANTIZATION_PARAMS) * sizeof(xnn_quantization_params);
}

std::size_t XnnFullyConnected::packed_bytes_bound(std::size_t n, std::size_t k) {
  const auto round_up = [](std::size_t v, std::size_t to) { return (v + to - 1) / to * to; };
  return round_up(n, 64) * (round_up(k, 32) * sizeof(float) + 16) + 128;
}

std::size_t XnnFullyConnected::scratch_bytes(std::size_t rows) const {
  return is_quantized(dtype_) ? qd8_scratch_bytes(rows, k_) : 0;
}

const char* XnnFullyConnected::name() const {
  switch (dtype_) {
    case DType::kF32: return "xnnpack f32";
    case DType::kF16: return "xnnpack f32-f16w";
    case DType::kQ8: return "xnnpack qd8-f32-qc8w";
    case DType::kQ4: return "xnnpack qd8-f32-qb4w";
    default: break;
  }
  return "xnnpack";
}

Status XnnFullyConnected::reshape(std::size_t rows, pthreadpool_t pool) {
  if (fc_ == nullptr) return Error(ErrorCode::kFailedPrecondition, "XNNPACK linear: reshape of a moved-from operator");
  if (rows == 0) return Error(ErrorCode::kInvalidArgument, "XNNPACK linear: reshape to 0 rows");
  switch (dtype_) {
    case DType::kF32:
      LINNET_TRY(xnn_status_to(xnn_reshape_fully_connected_nc_f32(fc_, rows, pool), "XNNPACK linear: reshape"));
      break;
    case DType::kF16:
      LINNET_TRY(xnn_status_to(xnn_reshape_fully_connected_nc_f32_f16(fc_, rows, pool), "XNNPACK linear: reshape"));
      break;
    case DType::kQ8:
      LINNET_TRY(xnn_status_to(xnn_reshape_convert_nc_f32_qd8(convert_, rows, k_, k_, k_, pool),
                               "XNNPACK linear: reshape convert"));
      LINNET_TRY(
          xnn_status_to(xnn_reshape_fully_connected_nc_qd8_f32_qc8w(fc_, rows, pool), "XNNPACK linear: reshape"));
      break;
    case DType::kQ4:
      LINNET_TRY(xnn_status_to(xnn_reshape_convert_nc_f32_qd8(convert_, rows, k_, k_, k_, pool),
                               "XNNPACK linear: reshape convert"));
      LINNET_TRY(
          xnn_status_to(xnn_reshape_fully_connected_nc_qd8_f32_qb4w(fc_, rows, pool), "XNNPACK linear: reshape"));
      break;
    default:
      return Error(ErrorCode::kInternal, "XNNPACK linear: an operator of an unsupported dtype");
  }
  rows_ = rows;
  reshaped_once_ = true;
  stage_ = Stage::kReshaped;
  return ok_status();
}

Status XnnFullyConnected::setup(const float* x, float* y, std::span<std::byte> scratch) {
  if (stage_ == Stage::kCreated || !reshaped_once_) {
    return Error(ErrorCode::kFailedPrecondition, "XNNPACK linear: setup before reshape");
  }
  if (x == nullptr || y == nullptr) return Error(ErrorCode::kInvalidArgument, "XNNPACK linear: null buffer");
  if (scratch.size() < scratch_bytes(rows_)) {
    return Error(ErrorCode::kInvalidArgument, "XNNPACK linear: scratch of " + std::to_string(scratch.size()) +
                                                  " bytes, needs " + std::to_string(scratch_bytes(rows_)));
  }
  switch (dtype_) {
    case DType::kF32:
      LINNET_TRY(xnn_status_to(xnn_setup_fully_connected_nc_f32(fc_, x, y), "XNNPACK linear: setup"));
      break;
    case DType::kF16:
      LINNET_TRY(xnn_status_to(xnn_setup_fully_connected_nc_f32_f16(fc_, x, y), "XNNPACK linear: setup"));
      break;
    case DType::kQ8:
    case DType::kQ4: {
      if ((reinterpret_cast<std::uintptr_t>(scratch.data()) & 15u) != 0) {
        return Error(ErrorCode::kInvalidArgument, "XNNPACK linear: scratch not 16-byte aligned");
      }
      auto* xq = reinterpret_cast<std::int8_t*>(scratch.data());
      auto* params = reinterpret_cast<xnn_quantization_params*>(scratch.data() + align16(rows_ * k_ + XNN_EXTRA_BYTES));
      LINNET_TRY(xnn_status_to(xnn_setup_convert_nc_f32_qd8(convert_, x, xq, params), "XNNPACK linear: setup convert"));
      const xnn_status st = dtype_ == DType::kQ8 ? xnn_setup_fully_connected_nc_qd8_f32_qc8w(fc_, xq, y, params)
                                                 : xnn_setup_fully_connected_nc_qd8_f32_qb4w(fc_, xq, y, params);
      LINNET_TRY(xnn_status_to(st, "XNNPACK linear: setup"));
      break;
    }
    default:
      return Error(ErrorCode::kInternal, "XNNPACK linear: an operator of an unsupported dtype");
  }
  stage_ = Stage::kReady;
  return ok_status();
}

Status XnnFullyConnected::run(pthreadpool_t pool) {
  if (stage_ != Stage::kReady) {
    return Error(ErrorCode::kFailedPrecondition,
                 stage_ == Stage::kCreated ? "XNNPACK linear: run before reshape and setup"
                                           : "XNNPACK linear: run before setup (setup is needed after every reshape)");
  }
  if (convert_ != nullptr) LINNET_TRY(xnn_status_to(xnn_run_operator(convert_, pool), "XNNPACK linear: run convert"));
  return xnn_status_to(xnn_run_operator(fc_, pool), "XNNPACK linear: run");
}

}  // namespace linnet::kernels
