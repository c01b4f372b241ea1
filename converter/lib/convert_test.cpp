// The converter on qwen35-tiny-a: every quantization, every checkpoint layout, and every
// broken input. Bundles are written to a temporary directory and read back through the
// runtime loader (Bundle::open), so these also test the writer/loader pair.
#include "converter/lib/convert.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/qlinear/tiled_pack.h"

#include "runtime/bundle/bundle.h"
#include "converter/lib/quantize.h"
#include "converter/lib/safetensors.h"
#include "converter/lib/test_checkpoint.h"

namespace linnet::convert {
namespace {

using testing::EditableCheckpoint;
using testing::kTinyDir;
using testing::TempDir;

constexpr std::uint64_t kFixedTime = 1700000000;

ConvertOptions options_for(const std::string& dir, const std::string& out, QuantMode q) {
  ConvertOptions o;
  o.hf_dir = dir;
  o.output = out;
  o.quant = q;
  o.created_unix_seconds = kFixedTime;
  o.converter_version = "test";
  return o;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::span<const std::uint8_t> bytes_of(const void* p, std::size_t n) {
  return {static_cast<const std::uint8_t*>(p), n};
}

// Decodes a tensor of the bundle to float32.
std::vector<float> decode_view(const TensorView& v) {
  switch (v.dtype) {
    case DType::kF32: return std::vector<float>(v.f32(), v.f32() + v.elements());
    case DType::kF16: return decode_f16(bytes_of(v.data, v.data_bytes));
    case DType::kQ8:
      return dequantize_q8(bytes_of(v.data, v.data_bytes), bytes_of(v.scales, v.scales_bytes), v.rows(), v.cols());
    case DType::kQ4:
      return dequantize_q4(bytes_of(v.data, v.data_bytes), bytes_of(v.scales, v.scales_bytes), v.rows(), v.cols(),
                           v.block_size);
    case DType::kQ8T:
    case DType::kQ4T:
    case DType::kQ6T: {
      std::vector<float> out(static_cast<std::size_t>(v.elements()));
      for (std::int64_t n = 0; n < v.rows(); ++n) kernels::dequantize_tiled_row(v, n, out.data() + n * v.cols());
      return out;
    }
    case DType::kBF16: break;
  }
  ADD_FAILURE() << "unexpected dtype for " << v.name;
  return {};
}

// The documented error bound of each stored dtype, element by element (docs/bundle-format.md):
//   f32 exact; f16 half an ulp (|w| * 2^-11, 2^-25 for subnormals);
//   q8 max|row| / 254; q4 max|block of 32| / 14 * (1 + 2^-8) (the scale is rounded to bf16);
//   q8t as q8; q4t, q6t max|block of 32| / 14 (/ 62) * (1 + 2^-10) + 2^-25 (the f16 scale is
//   rounded up: 2^-10 relative, or a subnormal's 2^-24 step);
//   all plus float rounding, max|w| * 2^-20.
void expect_within_bound(const TensorView& v, std::span<const float> ref) {
  const std::vector<float> got = decode_view(v);
  ASSERT_EQ(got.size(), ref.size()) << v.name;
  const std::int64_t cols = v.cols();
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double w = ref[i];
    const double err = std::fabs(w - static_cast<double>(got[i]));
    double bound = 0;
    if (v.dtype == DType::kF16) {
      bound = std::max(std::fabs(w) * std::ldexp(1.0, -11), std::ldexp(1.0, -25));
    } else if (v.dtype == DType::kQ8 || v.dtype == DType::kQ4 || is_tiled(v.dtype)) {
      const bool per_row = v.dtype == DType::kQ8 || v.dtype == DType::kQ8T;
      const std::size_t row = i / static_cast<std::size_t>(cols);
      const std::size_t width = per_row ? static_cast<std::size_t>(cols) : v.dtype == DType::kQ4 ? v.block_size : 32;
      const std::size_t first = row * static_cast<std::size_t>(cols) +
                                (i % static_cast<std::size_t>(cols)) / width * width;
      double amax = 0;
      for (std::size_t k = first; k < first + width; ++k) amax = std::max(amax, std::fabs(static_cast<double>(ref[k])));
      // Plus float rounding of the scale and of code * scale (a few ulps of max|w|).
      if (per_row)
        bound = amax / 254.0;
      else if (v.dtype == DType::kQ4)
        bound = amax / 14.0 * (1 + std::ldexp(1.0, -8));
      else
        bound = amax / (v.dtype == DType::kQ4T ? 14.0 : 62.0) * (1 + std::ldexp(1.0, -10)) + std::ldexp(1.0, -25);
      bound += amax * std::ldexp(1.0, -20);
    }
    if (err > bound) {
      ADD_FAILURE() << v.name << " element " << i << ": " << w << " stored as " << got[i] << " (error " << err
                    << " > bound " << bound << ")";
      return;
    }
  }
}

class ConvertTiny : public ::testing::TestWithParam<QuantMode> {};

TEST_P(ConvertTiny, EveryTensorDequantizesWithinTheDocumentedBound) {
  TempDir tmp;
  const std::string out = tmp.file("tiny.linnet");
  auto report = convert_checkpoint(options_for(kTinyDir, out, GetParam()));
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->skipped_visual, 21u);
  EXPECT_EQ(report->skipped_mtp, 0u);

  auto bundle = Bundle::open(out, BundleOpenOptions{/*verify_sha256=*/true});
  ASSERT_TRUE(bundle.ok()) << bundle.error().message();
  EXPECT_EQ(bundle->content_sha256_hex(), to_hex(report->sha256));
  EXPECT_EQ(bundle->file_size(), report->file_size);

  const HyperParams& hp = bundle->hyper_params();
  EXPECT_EQ(hp.hidden_size, 128);
  EXPECT_EQ(hp.num_layers, 8);
  EXPECT_EQ(hp.vocab_size, 1024);
  EXPECT_EQ(hp.head_dim, 64);
  EXPECT_EQ(hp.linear_num_key_heads, 2);
  EXPECT_EQ(hp.linear_num_value_heads, 4);
  EXPECT_EQ(hp.rope_theta, 1e7);
  EXPECT_EQ(hp.rotary_dim(), 16);
  EXPECT_TRUE(hp.tie_word_embeddings);
  EXPECT_EQ(hp.layer_types[3], LayerKind::kFullAttention);
  EXPECT_EQ(hp.layer_types[4], LayerKind::kLinearAttention);
  EXPECT_EQ(bundle->tokenizer().vocab_offsets.size(), 1001u);
  EXPECT_EQ(bundle->tokenizer().eos_id, 995);
  EXPECT_EQ(bundle->tokenizer().pad_id, 993);
  EXPECT_EQ(bundle->tokenizer().think_id, 996);
  EXPECT_EQ(bundle->chat_template().thinking_off, "<think>\n\n</think>\n\n");
  EXPECT_FALSE(bundle->chat_template().default_thinking);
  EXPECT_EQ(bundle->provenance().quantization, quant_mode_name(GetParam()));
  EXPECT_EQ(bundle->provenance().source_model, "qwen35-tiny-a");
  EXPECT_EQ(bundle->provenance().created_unix_seconds, kFixedTime);
  // Tied: the head is the embedding view.
  EXPECT_EQ(bundle->weights().lm_head.data, bundle->weights().embed_tokens.data);

  auto ck = SafetensorsFile::open(kTinyDir + "/model.safetensors");
  ASSERT_TRUE(ck.ok());
  std::size_t checked = 0;
  for (const TensorRecord& r : bundle->tensors()) {
    const std::string name(r.view.name);
    auto ref = ck->read_f32("model.language_model." + name);
    ASSERT_TRUE(ref.ok()) << name;
    const DTypeChoice want = choose_dtype(GetParam(), r.cls, std::vector<std::int64_t>(r.view.shape.begin(),
                                                                                       r.view.shape.begin() + r.view.rank));
    EXPECT_EQ(r.view.dtype, want.dtype) << name;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(r.view.data) % 64, 0u) << name;
    expect_within_bound(r.view, *ref);
    ++checked;
  }
  EXPECT_EQ(checked, 108u);
}

INSTANTIATE_TEST_SUITE_P(AllQuant, ConvertTiny,
                         ::testing::Values(QuantMode::kF32, QuantMode::kF16, QuantMode::kQ8, QuantMode::kQ4),
                         [](const auto& param_info) { return std::string(quant_mode_name(param_info.param)); });

TEST(Convert, ShardedCopyGivesAnIdenticalBundle) {
  TempDir tmp;
  // Same directory name, so the recorded source_model is the same too.
  const std::string sharded = tmp.file("sharded/qwen35-tiny-a");
  EditableCheckpoint::load(kTinyDir).write(sharded, 3);
  ASSERT_TRUE(std::filesystem::exists(sharded + "/model.safetensors.index.json"));
  ASSERT_FALSE(std::filesystem::exists(sharded + "/model.safetensors"));
  for (const QuantMode q : {QuantMode::kF32, QuantMode::kQ4}) {
    auto a = convert_checkpoint(options_for(kTinyDir, tmp.file("single.linnet"), q));
    auto b = convert_checkpoint(options_for(sharded, tmp.file("sharded.linnet"), q));
    ASSERT_TRUE(a.ok()) << a.error().message();
    ASSERT_TRUE(b.ok()) << b.error().message();
    const std::string x = read_all(tmp.file("single.linnet"));
    EXPECT_GT(x.size(), 1000u);
    EXPECT_TRUE(x == read_all(tmp.file("sharded.linnet"))) << quant_mode_name(q);
  }
}

TEST(Convert, PageAlignmentOnRequest) {
  TempDir tmp;
  auto o = options_for(kTinyDir, tmp.file("paged.linnet"), QuantMode::kQ8);
  o.data_alignment = 4096;
  ASSERT_TRUE(convert_checkpoint(o).ok());
  auto bundle = Bundle::open(tmp.file("paged.linnet"));
  ASSERT_TRUE(bundle.ok()) << bundle.error().message();
  EXPECT_EQ(bundle->data_alignment(), 4096u);
  for (const TensorRecord& r : bundle->tensors()) EXPECT_EQ(r.data_offset % 4096, 0u) << r.view.name;
}

// The text-only layout (flat qwen3_5_text config, names under model.), f16 and f32
// tensors mixed with bf16 in one file, untied embeddings with lm_head, and an mtp.* tensor.
TEST(Convert, TextOnlyLayoutMixedDtypesUntiedWithMtp) {
  TempDir tmp;
  EditableCheckpoint ck = EditableCheckpoint::load(kTinyDir);
  nlohmann::json flat = ck.config["text_config"];
  flat["model_type"] = "qwen3_5_text";
  flat["tie_word_embeddings"] = false;
  flat.erase("layer_types");  // the interval rule gives the same LLLF pattern
  ck.config = flat;
  std::erase_if(ck.tensors, [](const testing::OwnedTensor& t) { return t.name.rfind("model.visual.", 0) == 0; });
  for (auto& t : ck.tensors) t.name = "model." + t.name.substr(std::string("model.language_model.").size());
  ck.convert("model.layers.0.mlp.up_proj.weight", StDType::kF16);
  ck.convert("model.layers.3.self_attn.q_proj.weight", StDType::kF32);
  ck.convert("model.norm.weight", StDType::kF16);
  // lm_head: the embedding scaled by 0.5 (exact in bf16), so the two are distinguishable.
  testing::OwnedTensor head = *ck.find("model.embed_tokens.weight");
  head.name = "lm_head.weight";
  for (std::size_t i = 0; i + 1 < head.bytes.size(); i += 2) {
    std::uint16_t v;
    std::memcpy(&v, &head.bytes[i], 2);
    v = f32_to_bf16(bf16_to_f32(v) * 0.5f);
    std::memcpy(&head.bytes[i], &v, 2);
  }
  ck.tensors.push_back(head);
  testing::OwnedTensor mtp = *ck.find("model.norm.weight");
  mtp.name = "mtp.norm.weight";
  ck.tensors.push_back(mtp);
  const std::string dir = tmp.file("text-only");
  ck.write(dir);

  std::vector<std::string> notes;
  auto o = options_for(dir, tmp.file("t.linnet"), QuantMode::kF32);
  o.note = [&](std::string_view s) { notes.emplace_back(s); };
  auto report = convert_checkpoint(o);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_EQ(report->skipped_mtp, 1u);
  EXPECT_EQ(report->skipped_visual, 0u);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("mtp.*"), std::string::npos);

  auto bundle = Bundle::open(tmp.file("t.linnet"), BundleOpenOptions{true});
  ASSERT_TRUE(bundle.ok()) << bundle.error().message();
  const ModelWeights& w = bundle->weights();
  EXPECT_FALSE(w.hp.tie_word_embeddings);
  EXPECT_EQ(w.hp.layer_types[7], LayerKind::kFullAttention);
  ASSERT_TRUE(w.lm_head.present());
  EXPECT_NE(w.lm_head.data, w.embed_tokens.data);
  for (const auto& [bundle_name, ck_name] :
       std::vector<std::pair<std::string, std::string>>{{"lm_head.weight", "lm_head.weight"},
                                                        {"embed_tokens.weight", "model.embed_tokens.weight"},
                                                        {"layers.0.mlp.up_proj.weight", "model.layers.0.mlp.up_proj.weight"},
                                                        {"layers.3.self_attn.q_proj.weight", "model.layers.3.self_attn.q_proj.weight"},
                                                        {"layers.0.linear_attn.A_log", "model.layers.0.linear_attn.A_log"},
                                                        {"norm.weight", "model.norm.weight"}}) {
    const std::vector<float> ref = ck.values(ck_name);
    const TensorRecord* rec = nullptr;
    for (const auto& r : bundle->tensors()) {
      if (r.view.name == bundle_name) rec = &r;
    }
    ASSERT_NE(rec, nullptr) << bundle_name;
    ASSERT_EQ(rec->view.dtype, DType::kF32);
    EXPECT_TRUE(std::equal(ref.begin(), ref.end(), rec->view.f32())) << bundle_name;
  }
}

// --- Broken inputs: each is refused with a message naming the file (and tensor), and
// --- leaves nothing in the output directory.

struct BrokenCase {
  std::string label;
  std::function<void(EditableCheckpoint&)> edit;    // applied before writing
  std::function<void(const std::string&)> damage;  // applied to the written directory
  std::vector<std::string> message_parts;
};

void expect_refused(const BrokenCase& c) {
  TempDir tmp;
  EditableCheckpoint ck = EditableCheckpoint::load(kTinyDir);
  if (c.edit) c.edit(ck);
  const std::string dir = tmp.file("ck");
  ck.write(dir);
  if (c.damage) c.damage(dir);
  const std::string out_dir = tmp.file("out");
  std::filesystem::create_directories(out_dir);
  auto report = convert_checkpoint(options_for(dir, out_dir + "/m.linnet", QuantMode::kQ4));
  ASSERT_FALSE(report.ok()) << c.label << ": conversion succeeded";
  for (const auto& part : c.message_parts) {
    EXPECT_NE(report.error().message().find(part), std::string::npos)
        << c.label << ": message '" << report.error().message() << "' lacks '" << part << "'";
  }
  EXPECT_TRUE(std::filesystem::is_empty(out_dir)) << c.label << ": output directory not empty";
}

void truncate_file(const std::string& path, std::uintmax_t size) { std::filesystem::resize_file(path, size); }

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

TEST(ConvertRefuses, MissingTensor) {
  expect_refused({"missing", [](EditableCheckpoint& ck) { ck.remove("model.language_model.layers.2.mlp.up_proj.weight"); },
                  nullptr, {"layers.2.mlp.up_proj.weight", "missing"}});
}

TEST(ConvertRefuses, MisshapedTensor) {
  expect_refused({"misshaped",
                  [](EditableCheckpoint& ck) {
                    auto* t = ck.find("model.language_model.layers.1.linear_attn.in_proj_z.weight");
                    t->shape = {64, 128};
                    t->bytes.resize(64 * 128 * 2);
                  },
                  nullptr, {"model.safetensors", "layers.1.linear_attn.in_proj_z.weight", "shape [64,128]"}});
}

TEST(ConvertRefuses, UnknownTensor) {
  expect_refused({"unknown",
                  [](EditableCheckpoint& ck) {
                    auto t = *ck.find("model.language_model.norm.weight");
                    t.name = "model.language_model.layers.0.extra_norm.weight";
                    ck.tensors.push_back(t);
                  },
                  nullptr, {"model.safetensors", "layers.0.extra_norm.weight", "not a tensor of this model"}});
}

TEST(ConvertRefuses, UnsupportedDtype) {
  expect_refused({"dtype",
                  [](EditableCheckpoint& ck) {
                    auto* t = ck.find("model.language_model.layers.0.linear_attn.A_log");
                    t->dtype = StDType::kI32;  // 4 bytes per element: same length
                  },
                  nullptr, {"model.safetensors", "layers.0.linear_attn.A_log", "unsupported dtype I32"}});
}

TEST(ConvertRefuses, UnknownModelType) {
  expect_refused({"model_type", [](EditableCheckpoint& ck) { ck.config["model_type"] = "llama"; }, nullptr,
                  {"config.json", "unknown model_type 'llama'"}});
}

TEST(ConvertRefuses, MalformedConfigJson) {
  expect_refused({"config json", nullptr, [](const std::string& d) { write_text(d + "/config.json", "{\"model_type\": "); },
                  {"config.json", "malformed JSON"}});
}

TEST(ConvertRefuses, MissingConfigField) {
  expect_refused({"config field", [](EditableCheckpoint& ck) { ck.config["text_config"].erase("linear_num_value_heads"); },
                  nullptr, {"config.json", "linear_num_value_heads", "missing"}});
}

TEST(ConvertRefuses, MalformedTokenizerJson) {
  expect_refused({"tokenizer json", [](EditableCheckpoint& ck) { ck.tokenizer_json = "{\"model\": [1, 2"; }, nullptr,
                  {"tokenizer.json"}});
}

TEST(ConvertRefuses, TruncatedSafetensors) {
  for (const std::uintmax_t keep : {std::uintmax_t{4}, std::uintmax_t{100}, std::uintmax_t{3000000}}) {
    expect_refused({"truncated at " + std::to_string(keep), nullptr,
                    [keep](const std::string& d) { truncate_file(d + "/model.safetensors", keep); },
                    {"model.safetensors", "truncated"}});
  }
}

TEST(ConvertRefuses, ShardMissingFromIndex) {
  TempDir tmp;
  const std::string dir = tmp.file("ck");
  EditableCheckpoint::load(kTinyDir).write(dir, 2);
  std::filesystem::remove(dir + "/model-00002-of-00002.safetensors");
  auto report = convert_checkpoint(options_for(dir, tmp.file("m.linnet"), QuantMode::kF32));
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message().find("model-00002-of-00002.safetensors"), std::string::npos)
      << report.error().message();
  EXPECT_FALSE(std::filesystem::exists(tmp.file("m.linnet")));
}

TEST(ConvertRefuses, NoCheckpointFiles) {
  TempDir tmp;
  auto report = convert_checkpoint(options_for(tmp.path(), tmp.file("m.linnet"), QuantMode::kF32));
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message().find("config.json"), std::string::npos) << report.error().message();
}

// A full disk, simulated with a file-size limit: the write fails with EFBIG (SIGXFSZ
// ignored), the converter reports no space, and the temporary file is removed.
TEST(ConvertRefuses, FullDisk) {
  TempDir tmp;
  const std::string out_dir = tmp.file("out");
  std::filesystem::create_directories(out_dir);
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGXFSZ, &ignore, &previous), 0);
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit small = old_limit;
  small.rlim_cur = 1 << 20;  // 1 MiB: the f32 bundle is 7.6 MiB
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  auto report = convert_checkpoint(options_for(kTinyDir, out_dir + "/m.linnet", QuantMode::kF32));
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
  ::sigaction(SIGXFSZ, &previous, nullptr);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code(), ErrorCode::kNoSpace);
  EXPECT_NE(report.error().message().find("m.linnet"), std::string::npos) << report.error().message();
  EXPECT_TRUE(std::filesystem::is_empty(out_dir));
}

// parallel_rows is a boundary for its threads: a range that throws on a worker thread
// reaches the caller as that exception (without it: std::terminate), after every range
// has run; the earliest range's exception wins.
TEST(ParallelRows, AnExceptionOnAnyThreadReachesTheCallerAfterAllRangesRan) {
  for (const std::int64_t failing : {std::int64_t{0}, std::int64_t{300}, std::int64_t{999}}) {
    std::vector<std::atomic<int>> seen(1000);
    try {
      parallel_rows(1000, 4, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) seen[static_cast<std::size_t>(i)].fetch_add(1);
        if (begin <= failing && failing < end) throw std::runtime_error("row " + std::to_string(failing));
        if (begin <= 999 && 999 < end && failing != 999) throw std::runtime_error("last range");
      });
      ADD_FAILURE() << "nothing thrown";
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()), "row " + std::to_string(failing));
    }
    for (const auto& s : seen) ASSERT_EQ(s.load(), 1);
  }
}

TEST(Quantize, ScalesArePositiveNormalForZeroAndTinyBlocks) {
  std::vector<float> w(2 * 64, 0.0f);
  for (int k = 0; k < 32; ++k) w[static_cast<std::size_t>(64 + k)] = 1e-39f;  // subnormal weights
  const Quantized q4 = quantize_q4(w, 2, 64, 32, 1);
  for (std::size_t b = 0; b < 4; ++b) {
    std::uint16_t bits;
    std::memcpy(&bits, q4.scales.data() + 2 * b, 2);
    EXPECT_TRUE(std::isnormal(bf16_to_f32(bits))) << b;
    EXPECT_GT(bf16_to_f32(bits), 0.0f);
  }
  const Quantized q8 = quantize_q8(w, 2, 64, 1);
  for (std::size_t r = 0; r < 2; ++r) {
    float s;
    std::memcpy(&s, q8.scales.data() + 4 * r, 4);
    EXPECT_TRUE(std::isnormal(s));
  }
}

TEST(Quantize, Q4NibbleOrderIsLowNibbleEvenK) {
  std::vector<float> w(32, 0.0f);
  w[0] = 7.0f;   // code 15 in the low nibble of byte 0
  w[1] = -7.0f;  // code 1 in the high nibble of byte 0
  const Quantized q = quantize_q4(w, 1, 32, 32, 1);
  EXPECT_EQ(q.data[0], 0x1F);
  EXPECT_EQ(q.data[1], 0x88);
  std::uint16_t bits;
  std::memcpy(&bits, q.scales.data(), 2);
  EXPECT_EQ(bf16_to_f32(bits), 1.0f);
}

TEST(Quantize, EncodeF16RefusesOverflow) {
  const std::vector<float> w = {1.0f, 70000.0f};
  auto r = encode_f16(w);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("element 1"), std::string::npos);
}

TEST(Convert, SummaryNamesEveryClass) {
  TempDir tmp;
  auto report = convert_checkpoint(options_for(kTinyDir, tmp.file("m.linnet"), QuantMode::kQ4));
  ASSERT_TRUE(report.ok());
  const std::string brief = format_error_summary(*report, false);
  const std::string verbose = format_error_summary(*report, true);
  for (const char* cls : {"embedding", "linear", "norm", "conv", "delta_param", "gate_projection"}) {
    EXPECT_NE(brief.find(cls), std::string::npos) << cls;
  }
  EXPECT_EQ(brief.find("layers.0.mlp.up_proj.weight"), std::string::npos);
  EXPECT_NE(verbose.find("layers.0.mlp.up_proj.weight"), std::string::npos);
  // q4 linear layers: relative RMS error of a 4-bit quantizer, well above zero and below 15%.
  for (const TensorReport& t : report->tensors) {
    if (t.dtype == DType::kQ4T) {
      EXPECT_GT(t.error.rel_rms, 0.01) << t.name;
      EXPECT_LT(t.error.rel_rms, 0.15) << t.name;
    }
  }
}

}  // namespace
}  // namespace linnet::convert
