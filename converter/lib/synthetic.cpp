#include "converter/lib/synthetic.h"

#include <cmath>
#include <cstring>

#include "runtime/bundle/tensor_catalog.h"
#include "runtime/bundle/tensor_layout.h"
#include "converter/lib/hf_config.h"
#include "converter/lib/safetensors.h"

namespace linnet::convert {
namespace {

// splitmix64: a tiny, fast generator with good enough statistics for benchmark weights.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1).
  float uniform() { return static_cast<float>(static_cast<double>(next() >> 11) * 0x1.0p-52 - 1.0); }
};

SplitMix64 row_rng(std::uint64_t seed, std::size_t tensor, std::int64_t row) {
  SplitMix64 g{seed * 0x2545F4914F6CDD1Dull ^ (static_cast<std::uint64_t>(tensor) << 40) ^
               static_cast<std::uint64_t>(row)};
  g.next();
  return g;
}

// The range of a tensor's values: +-1/sqrt(in) for matrices, small for vectors.
float value_range(const TensorSpec& s) {
  switch (s.cls) {
    case TensorClass::kEmbedding:
    case TensorClass::kLmHead:
    case TensorClass::kLinear:
    case TensorClass::kGateProjection:
      return 1.0f / std::sqrt(static_cast<float>(s.shape[1]));
    case TensorClass::kConv: return 0.5f;
    case TensorClass::kNorm: return 0.1f;
    case TensorClass::kDeltaParam: return 1.0f;
  }
  return 0.1f;
}

// Float values for one tensor (f32 or f16 storage, and every vector).
std::vector<float> random_floats(const TensorSpec& s, std::size_t index, std::uint64_t seed, int threads) {
  const std::int64_t rows = s.shape[0];
  std::int64_t cols = 1;
  for (std::size_t d = 1; d < s.shape.size(); ++d) cols *= s.shape[d];
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
  const float range = value_range(s);
  const bool a_log = s.field == TensorField::kALog;
  parallel_rows(rows, threads, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      SplitMix64 g = row_rng(seed, index, r);
      float* o = out.data() + r * cols;
      for (std::int64_t c = 0; c < cols; ++c) {
        const float u = g.uniform();
        // A_log = log(A) with A in [1, 16], as trained models have; others uniform.
        o[c] = a_log ? std::log(1.0f + 7.5f * (u + 1.0f)) : u * range;
      }
    }
  });
  return out;
}

Quantized random_q8(const TensorSpec& s, std::size_t index, std::uint64_t seed, int threads) {
  const std::int64_t rows = s.shape[0], cols = s.shape[1];
  Quantized q;
  q.data.resize(static_cast<std::size_t>(rows * cols));
  q.scales.resize(static_cast<std::size_t>(rows) * 4);
  const float scale = value_range(s) / 127.0f;
  parallel_rows(rows, threads, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      SplitMix64 g = row_rng(seed, index, r);
      std::uint8_t* o = q.data.data() + r * cols;
      for (std::int64_t c = 0; c < cols; c += 8) {
        std::uint64_t bits = g.next();
        for (std::int64_t j = 0; j < 8 && c + j < cols; ++j, bits >>= 8) {
          // int8 in [-127, 127]: -128 is never produced (symmetric quantization).
          const auto v = static_cast<std::int8_t>(bits & 0xFF);
          o[c + j] = static_cast<std::uint8_t>(v == -128 ? 0 : v);
        }
      }
      std::memcpy(q.scales.data() + r * 4, &scale, 4);
    }
  });
  return q;
}

Quantized random_q4(const TensorSpec& s, std::size_t index, std::uint64_t seed, std::uint32_t block, int threads) {
  const std::int64_t rows = s.shape[0], cols = s.shape[1];
  const std::int64_t blocks = cols / block;
  Quantized q;
  q.data.resize(static_cast<std::size_t>(rows * cols / 2));
  q.scales.resize(static_cast<std::size_t>(rows * blocks) * 2);
  const std::uint16_t scale = f32_to_bf16(value_range(s) / 7.0f);
  parallel_rows(rows, threads, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      SplitMix64 g = row_rng(seed, index, r);
      std::uint8_t* o = q.data.data() + r * cols / 2;
      for (std::int64_t c = 0; c < cols / 2; c += 8) {
        const std::uint64_t bits = g.next();
        std::memcpy(o + c, &bits, static_cast<std::size_t>(std::min<std::int64_t>(8, cols / 2 - c)));
      }
      for (std::int64_t b = 0; b < blocks; ++b) std::memcpy(q.scales.data() + (r * blocks + b) * 2, &scale, 2);
    }
  });
  return q;
}

}  // namespace

TokenizerData synthetic_tokenizer(int vocab_size) {
  TokenizerData t;
  t.model = "bpe";
  t.normalizer = "NFC";
  t.pre_tokenizer = "qwen3.5";
  const bool real_layout = vocab_size >= 4096;
  const std::uint32_t model_tokens = static_cast<std::uint32_t>(vocab_size - (real_layout ? 276 : 31));
  std::vector<std::string> strings;
  strings.reserve(model_tokens);
  for (int b = 0; b < 256; ++b) strings.emplace_back(1, static_cast<char>(b));
  static constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
  // Two-character tokens, then three-character ones (pair + character).
  for (std::size_t i = 0; i < kAlphabet.size() && strings.size() < model_tokens; ++i) {
    for (std::size_t j = 0; j < kAlphabet.size() && strings.size() < model_tokens; ++j) {
      t.merge_left.push_back(static_cast<unsigned char>(kAlphabet[i]));
      t.merge_right.push_back(static_cast<unsigned char>(kAlphabet[j]));
      t.merge_result.push_back(static_cast<std::uint32_t>(strings.size()));
      strings.push_back(std::string{kAlphabet[i], kAlphabet[j]});
    }
  }
  const std::uint32_t pairs_end = static_cast<std::uint32_t>(strings.size());
  for (std::uint32_t p = 256; p < pairs_end && strings.size() < model_tokens; ++p) {
    for (std::size_t j = 0; j < kAlphabet.size() && strings.size() < model_tokens; ++j) {
      t.merge_left.push_back(p);
      t.merge_right.push_back(static_cast<unsigned char>(kAlphabet[j]));
      t.merge_result.push_back(static_cast<std::uint32_t>(strings.size()));
      strings.push_back(strings[p] + kAlphabet[j]);
    }
  }
  const std::uint32_t first = static_cast<std::uint32_t>(strings.size());
  const std::uint32_t think = real_layout ? first + 24 : first + 3;
  t.added_tokens = {{first, "<|endoftext|>", true},
                    {first + 1, "<|im_start|>", true},
                    {first + 2, "<|im_end|>", true},
                    {think, "<think>", false},
                    {think + 1, "</think>", false}};
  t.endoftext_id = t.pad_id = static_cast<std::int32_t>(first);
  t.im_start_id = static_cast<std::int32_t>(first + 1);
  t.im_end_id = t.eos_id = static_cast<std::int32_t>(first + 2);
  t.think_id = static_cast<std::int32_t>(think);
  t.end_think_id = static_cast<std::int32_t>(think + 1);
  strings.resize(think + 2);  // ids between the added tokens stay empty
  for (const auto& a : t.added_tokens) strings[a.id] = a.content;
  t.vocab_offsets.push_back(0);
  for (const auto& s : strings) {
    t.vocab_bytes.insert(t.vocab_bytes.end(), s.begin(), s.end());
    t.vocab_offsets.push_back(static_cast<std::uint32_t>(t.vocab_bytes.size()));
  }
  return t;
}

Result<ConvertReport> write_synthetic(const SyntheticOptions& o) {
  const ModelConfigData cfg = LINNET_TRY(read_hf_config(o.config_path));
  const HyperParams& hp = cfg.hp;
  const TokenizerData tok = synthetic_tokenizer(hp.vocab_size);
  const std::vector<TensorSpec> specs = expected_tensors(hp);

  std::vector<PlannedTensor> plan;
  std::vector<DTypeChoice> choices;
  for (const TensorSpec& s : specs) {
    const DTypeChoice c = choose_dtype(o.quant, o.embedding_quant, s.cls, s.shape);
    plan.push_back(PlannedTensor{s.name, c.dtype, s.shape, c.block_size});
    choices.push_back(c);
  }
  BundleContents contents;
  contents.hp = hp;
  contents.tokenizer = &tok;
  contents.chat.default_thinking = hp.hidden_size >= 2560;
  std::string name = o.config_path;
  if (const auto slash = name.find_last_of('/'); slash != std::string::npos) name = name.substr(slash + 1);
  contents.provenance = ProvenanceData{"synthetic:" + name + " seed " + std::to_string(o.seed), o.converter_version,
                                       std::string(quant_mode_name(o.quant)), o.created_unix_seconds, true};
  contents.data_alignment = o.data_alignment;
  BundleWriter writer = LINNET_TRY(BundleWriter::create(o.output, contents, plan));

  ConvertReport report;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec& s = specs[i];
    Quantized q;
    switch (choices[i].dtype) {
      case DType::kQ4: q = random_q4(s, i, o.seed, choices[i].block_size, o.threads); break;
      case DType::kQ8: q = random_q8(s, i, o.seed, o.threads); break;
      default: {
        const std::vector<float> values = random_floats(s, i, o.seed, o.threads);
        auto enc = encode_tensor(values, s.shape, choices[i], o.threads);
        if (!enc.ok()) return std::move(enc).error().with_context("tensor " + s.name);
        q = std::move(*enc);
      }
    }
    TensorReport tr;
    tr.name = s.name;
    tr.cls = s.cls;
    tr.dtype = choices[i].dtype;
    tr.elements = 1;
    for (const auto d : s.shape) tr.elements *= d;
    tr.bytes = q.data.size() + q.scales.size();
    report.tensors.push_back(std::move(tr));
    LINNET_TRY(writer.write_tensor(q.data, q.scales));
    if (o.progress) o.progress(i + 1, specs.size(), s.name);
  }
  report.file_size = writer.planned_file_size();
  report.sha256 = LINNET_TRY(writer.finish());
  return report;
}

}  // namespace linnet::convert
