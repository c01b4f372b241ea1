// The measurement behind the quantization policy for embed_tokens / lm_head
// (docs/bundle-format.md, "Quantization policy"). Two views of the same question, on
// qwen35-tiny-a against the reference implementation's outputs:
//   head only: the reference's final-norm hidden states of prompt 0 times the stored
//     embedding (tied head), against the reference logits;
//   whole model: the executor on the golden cases with q4 linear layers and the
//     embedding stored f32, q8 or q4.
// The numbers are printed; the assertions pin the ordering the policy relies on.
#include <cstdio>

#include <gtest/gtest.h>

#include "runtime/bundle/bundle.h"
#include "converter/lib/convert.h"
#include "kernels/qlinear/tiled_pack.h"
#include "converter/lib/test_checkpoint.h"
#include "tests/golden/golden_checks.h"
#include "tests/golden/golden_util.h"

namespace linnet::convert {
namespace {

using testing::kTinyDir;
using testing::TempDir;

struct Measured {
  linnet::testing::LogitsComparison head_only;
  linnet::testing::GoldenMeasures model;
};

Measured measure(QuantMode linear, std::optional<QuantMode> embed, const TempDir& tmp) {
  const std::string out = tmp.file("m.linnet");
  ConvertOptions o;
  o.hf_dir = kTinyDir;
  o.output = out;
  o.quant = linear;
  o.embedding_quant = embed;
  auto report = convert_checkpoint(o);
  EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message());
  auto bundle = Bundle::open(out);
  EXPECT_TRUE(bundle.ok()) << (bundle.ok() ? "" : bundle.error().message());
  auto ref = linnet::testing::ReferenceOutputs::open(kTinyDir);
  EXPECT_TRUE(ref.ok());

  Measured m;
  // Head only: logits[t, v] = sum_d hidden[t, d] * embed[v, d] with the stored embedding.
  const TensorView& e = bundle->weights().embed_tokens;
  std::vector<float> table;
  const auto bytes = [](const void* p, std::size_t n) { return std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(p), n); };
  switch (e.dtype) {
    case DType::kF32: table.assign(e.f32(), e.f32() + e.elements()); break;
    case DType::kQ8: table = dequantize_q8(bytes(e.data, e.data_bytes), bytes(e.scales, e.scales_bytes), e.rows(), e.cols()); break;
    case DType::kQ4:
      table = dequantize_q4(bytes(e.data, e.data_bytes), bytes(e.scales, e.scales_bytes), e.rows(), e.cols(), e.block_size);
      break;
    case DType::kQ8T:
    case DType::kQ4T:
    case DType::kQ6T:
      table.resize(static_cast<std::size_t>(e.elements()));
      for (std::int64_t n = 0; n < e.rows(); ++n) kernels::dequantize_tiled_row(e, n, table.data() + n * e.cols());
      break;
    default: ADD_FAILURE() << "embedding dtype";
  }
  const std::vector<float> hidden = ref->floats("prompt0.hidden.8");  // after the final norm
  const std::vector<float> ref_logits = ref->floats("prompt0.logits");
  const int V = bundle->hyper_params().vocab_size, D = bundle->hyper_params().hidden_size;
  const std::size_t T = hidden.size() / static_cast<std::size_t>(D);
  std::vector<float> logits(T * static_cast<std::size_t>(V));
  for (std::size_t t = 0; t < T; ++t) {
    for (int v = 0; v < V; ++v) {
      double acc = 0;
      for (int d = 0; d < D; ++d) {
        acc += static_cast<double>(hidden[t * static_cast<std::size_t>(D) + static_cast<std::size_t>(d)]) *
               table[static_cast<std::size_t>(v) * static_cast<std::size_t>(D) + static_cast<std::size_t>(d)];
      }
      logits[t * static_cast<std::size_t>(V) + static_cast<std::size_t>(v)] = static_cast<float>(acc);
    }
  }
  m.head_only.add(ref_logits, logits, V);
  // The reference kernels (the oracle), so only the quantization differs between the cases.
  m.model = linnet::testing::run_golden(bundle->weights(), *ref, linnet::testing::reference_path_options());
  return m;
}

void print(const char* label, const Measured& m) {
  const auto& h = m.head_only;
  std::printf("%s\n  head only (prompt 0)   rows %4d  max_abs %.3g  top1 %d/%d  mean KL %.3g\n", label, h.rows,
              static_cast<double>(h.max_abs), h.argmax_matches, h.rows, h.kl_sum / h.rows);
  std::printf("%s", m.model.summary("  whole model").c_str());
}

TEST(EmbeddingPolicy, Q6EmbeddingIsCloseToQ8AndCloserThanQ4UnderQ4LinearLayers) {
  TempDir tmp;
  const Measured f32 = measure(QuantMode::kQ4, QuantMode::kF32, tmp);
  const Measured q8 = measure(QuantMode::kQ4, QuantMode::kQ8, tmp);
  const Measured q6 = measure(QuantMode::kQ4, QuantMode::kQ6, tmp);
  const Measured q4 = measure(QuantMode::kQ4, QuantMode::kQ4, tmp);
  print("q4 linear, f32 embedding", f32);
  print("q4 linear, q8t embedding", q8);
  print("q4 linear, q6t embedding (policy)", q6);
  print("q4 linear, q4t embedding", q4);
  // Head only: each step down in bits costs accuracy; q6 keeps every argmax.
  EXPECT_LT(q8.head_only.kl_sum, q6.head_only.kl_sum);
  EXPECT_LT(q6.head_only.kl_sum, q4.head_only.kl_sum);
  EXPECT_LT(q6.head_only.max_abs, q4.head_only.max_abs);
  EXPECT_EQ(q6.head_only.argmax_matches, q6.head_only.rows);
  // Whole model: the q6 embedding is closer than q4 over the prompts and the long context.
  EXPECT_LT(q6.model.prompts.kl_sum, q4.model.prompts.kl_sum);
  EXPECT_LT(q6.model.long_one.kl_sum, q4.model.long_one.kl_sum);
}

}  // namespace
}  // namespace linnet::convert
