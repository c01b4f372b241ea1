// The loader against hostile bundles: a valid bundle of qwen35-tiny-a (written by the
// converter) is truncated, has bytes flipped in the table and in the weights, and has
// single fields rewritten in place (offsets outside the file, misaligned, overlapping,
// wrong lengths, shapes, dtypes, names, versions). Every damaged file must be refused with
// a message (or, for damage the structure cannot see, fail --verify), never crash.
#include "runtime/bundle/bundle.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "runtime/bundle/bundle_generated.h"
#include "converter/lib/convert.h"
#include "converter/lib/synthetic.h"
#include "converter/lib/test_checkpoint.h"

namespace linnet {
namespace {

using convert::testing::TempDir;

class HostileBundle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    convert::ConvertOptions o;
    o.hf_dir = convert::testing::kTinyDir;
    o.output = tmp_->file("good.linnet");
    o.quant = convert::QuantMode::kQ4;  // float, q8 (embedding) and q4 tensors all present
    auto report = convert::convert_checkpoint(o);
    ASSERT_TRUE(report.ok()) << report.error().message();
    std::ifstream in(o.output, std::ios::binary);
    good_.assign(std::istreambuf_iterator<char>(in), {});
    auto b = Bundle::open(o.output);
    ASSERT_TRUE(b.ok()) << b.error().message();
    fb_size_ = b->flatbuffer_size();
    slots_ = b->hash_slots();
    first_segment_ = b->tensors()[0].data_offset;

    // A small synthetic bundle (D 64, 2 layers, 320 ids, 60 KB) for the byte-by-byte
    // flip test, which opens and hashes one copy per flipped byte.
    {
      std::ofstream cfg(tmp_->file("small.json"));
      cfg << R"({"model_type": "qwen3_5_text", "hidden_size": 64, "num_hidden_layers": 2,
        "layer_types": ["linear_attention", "full_attention"], "intermediate_size": 64, "vocab_size": 320,
        "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 32, "linear_num_key_heads": 1,
        "linear_num_value_heads": 2, "linear_key_head_dim": 16, "linear_value_head_dim": 16,
        "max_position_embeddings": 256, "rms_norm_eps": 1e-6,
        "rope_parameters": {"rope_theta": 1e7, "partial_rotary_factor": 0.25}})";
    }
    convert::SyntheticOptions so;
    so.config_path = tmp_->file("small.json");
    so.output = tmp_->file("small.linnet");
    so.quant = convert::QuantMode::kQ4;
    auto small_report = convert::write_synthetic(so);
    ASSERT_TRUE(small_report.ok()) << small_report.error().message();
    std::ifstream small_in(so.output, std::ios::binary);
    small_.assign(std::istreambuf_iterator<char>(small_in), {});
    auto sb = Bundle::open(so.output, BundleOpenOptions{true});
    ASSERT_TRUE(sb.ok()) << sb.error().message();
    small_fb_size_ = sb->flatbuffer_size();
    small_slots_ = sb->hash_slots();
    small_first_segment_ = sb->tensors()[0].data_offset;
  }
  static void TearDownTestSuite() {
    delete tmp_;
    tmp_ = nullptr;
  }

  // Writes `bytes` to an anonymous memory file and opens it as /proc/self/fd/N (the
  // mapping keeps the contents alive after the descriptor is closed).
  Result<Bundle> open_bytes(const std::vector<std::uint8_t>& bytes, bool verify = false) {
    const int fd = ::memfd_create("bundle_test", MFD_CLOEXEC);
    if (fd < 0) return Error(ErrorCode::kIo, "memfd_create failed");
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    auto r = Bundle::open("/proc/self/fd/" + std::to_string(fd), BundleOpenOptions{verify});
    ::close(fd);
    return r;
  }

  // Opens a copy of the good bundle after `edit` rewrote fields of its FlatBuffer in place.
  template <typename Edit>
  Result<Bundle> open_edited(Edit edit) {
    std::vector<std::uint8_t> bytes = good_;
    edit(*fb::GetMutableBundle(bytes.data()));
    return open_bytes(bytes);
  }

  static fb::Tensor* tensor(fb::Bundle& b, const std::string& name) {
    for (flatbuffers::uoffset_t i = 0; i < b.tensors()->size(); ++i) {
      fb::Tensor* t = b.mutable_tensors()->GetMutableObject(i);
      if (t->name()->str() == name) return t;
    }
    ADD_FAILURE() << "no tensor " << name;
    return nullptr;
  }

  static void expect_error(const Result<Bundle>& r, const std::string& part) {
    ASSERT_FALSE(r.ok()) << "accepted; expected an error with '" << part << "'";
    EXPECT_NE(r.error().message().find(part), std::string::npos) << r.error().message();
  }

  static bool in_range(std::size_t pos, const ByteRange& r) { return pos >= r.offset && pos < r.offset + r.length; }

  static TempDir* tmp_;
  static std::vector<std::uint8_t> good_;
  static std::uint64_t fb_size_;
  static HashSlots slots_;
  static std::uint64_t first_segment_;
  static std::vector<std::uint8_t> small_;
  static std::uint64_t small_fb_size_;
  static HashSlots small_slots_;
  static std::uint64_t small_first_segment_;
};

TempDir* HostileBundle::tmp_ = nullptr;
std::vector<std::uint8_t> HostileBundle::good_;
std::uint64_t HostileBundle::fb_size_ = 0;
HashSlots HostileBundle::slots_;
std::uint64_t HostileBundle::first_segment_ = 0;
std::vector<std::uint8_t> HostileBundle::small_;
std::uint64_t HostileBundle::small_fb_size_ = 0;
HashSlots HostileBundle::small_slots_;
std::uint64_t HostileBundle::small_first_segment_ = 0;

TEST_F(HostileBundle, GoodBundleOpensAndVerifies) {
  auto b = open_bytes(good_, /*verify=*/true);
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_GT(fb_size_, 1000u);
  EXPECT_GE(first_segment_, fb_size_);
  EXPECT_EQ(first_segment_ % 64, 0u);
}

TEST_F(HostileBundle, ViewsSurviveAMove) {
  auto opened = open_bytes(good_);
  ASSERT_TRUE(opened.ok());
  Bundle a = std::move(opened).value();
  const void* embed = a.weights().embed_tokens.data;
  const std::string_view name = a.weights().layers[3].attention.q_proj.name;
  const TokenizerSource tok = a.tokenizer();
  Bundle b = std::move(a);
  EXPECT_EQ(b.weights().embed_tokens.data, embed);
  EXPECT_EQ(name, "layers.3.self_attn.q_proj.weight");
  EXPECT_EQ(tok.vocab_bytes.data(), b.tokenizer().vocab_bytes.data());
  EXPECT_EQ(b.tokenizer().added_tokens[0].content, "<|endoftext|>");
  EXPECT_TRUE(b.verify_sha256().ok());
}

TEST_F(HostileBundle, TruncatedAnywhereIsRefused) {
  std::vector<std::size_t> cuts = {0, 1, 4, 7, 8, 12, 64, fb_size_ / 2, fb_size_ - 1, fb_size_,
                                   first_segment_, first_segment_ + 1, good_.size() - 1};
  for (std::size_t i = 1; i < 200; ++i) cuts.push_back(good_.size() * i / 200);
  for (const std::size_t cut : cuts) {
    std::vector<std::uint8_t> bytes(good_.begin(), good_.begin() + static_cast<std::ptrdiff_t>(cut));
    auto r = open_bytes(bytes);
    ASSERT_FALSE(r.ok()) << "truncated to " << cut << " bytes was accepted";
    EXPECT_FALSE(r.error().message().empty());
  }
}

// Any flipped byte in the table is refused at open or by the hash, unless it is in the
// signature slot (outside the hash by design). Every byte of the small bundle's table.
TEST_F(HostileBundle, FlippedTableBytesAreRefused) {
  std::mt19937 rng(7);
  std::size_t refused_at_open = 0, refused_by_hash = 0;
  std::vector<std::uint8_t> bytes = small_;
  for (std::size_t pos = 0; pos < small_fb_size_; ++pos) {
    const std::uint8_t original = bytes[pos];
    bytes[pos] = static_cast<std::uint8_t>(original ^ (1u + rng() % 255u));
    auto r = open_bytes(bytes);
    bytes[pos] = original;
    if (!r.ok()) {
      EXPECT_FALSE(r.error().message().empty());
      ++refused_at_open;
      continue;
    }
    if (in_range(pos, small_slots_.signature) || in_range(pos, small_slots_.signature_size)) continue;
    const Status v = r->verify_sha256();
    ASSERT_FALSE(v.ok()) << "flip at " << pos << " passed open and verify";
    EXPECT_EQ(v.error().code(), ErrorCode::kVerification);
    ++refused_by_hash;
  }
  EXPECT_GT(refused_at_open, 1000u);
  EXPECT_GT(refused_by_hash, 100u);  // e.g. flips inside vocab bytes or strings
}

TEST_F(HostileBundle, FlippedWeightBytesFailVerification) {
  std::mt19937_64 rng(11);
  std::vector<std::uint8_t> bytes = small_;
  for (int i = 0; i < 300; ++i) {
    const std::size_t pos = small_first_segment_ + rng() % (small_.size() - small_first_segment_);
    const std::uint8_t original = bytes[pos];
    bytes[pos] = static_cast<std::uint8_t>(original ^ 0x5A);
    auto r = open_bytes(bytes);
    auto verified = open_bytes(bytes, /*verify=*/true);
    bytes[pos] = original;
    ASSERT_TRUE(r.ok()) << r.error().message();  // structure intact
    const Status v = r->verify_sha256();
    ASSERT_FALSE(v.ok()) << "flip at " << pos;
    EXPECT_NE(v.error().message().find("SHA-256 mismatch"), std::string::npos);
    EXPECT_FALSE(verified.ok());
  }
}

TEST_F(HostileBundle, OffsetOutsideTheFile) {
  expect_error(open_edited([&](fb::Bundle& b) {
                 tensor(b, "layers.3.self_attn.q_proj.weight")->mutable_data()->mutate_offset((good_.size() / 64 + 100) * 64);
               }),
               "tensor layers.3.self_attn.q_proj.weight: data ends beyond the file");
  expect_error(open_edited([&](fb::Bundle& b) {
                 tensor(b, "layers.0.mlp.down_proj.weight")->mutable_scales()->mutate_offset(good_.size() / 64 * 64);
               }),
               "tensor layers.0.mlp.down_proj.weight: scales ends beyond the file");
  // offset + length wraps around 2^64.
  expect_error(open_edited([&](fb::Bundle& b) {
                 tensor(b, "norm.weight")->mutable_data()->mutate_offset(~std::uint64_t{0} - 63);
               }),
               "tensor norm.weight: data ends beyond the file");
}

TEST_F(HostileBundle, MisalignedOverlappingOrWrongLength) {
  expect_error(open_edited([&](fb::Bundle& b) {
                 fb::Segment* d = tensor(b, "layers.1.linear_attn.A_log")->mutable_data();
                 d->mutate_offset(d->offset() + 4);
               }),
               "not aligned");
  expect_error(open_edited([&](fb::Bundle& b) {
                 const std::uint64_t embed = tensor(b, "embed_tokens.weight")->data()->offset();
                 tensor(b, "layers.0.input_layernorm.weight")->mutable_data()->mutate_offset(embed);
               }),
               "overlaps");
  expect_error(open_edited([&](fb::Bundle& b) {
                 tensor(b, "layers.0.input_layernorm.weight")->mutable_data()->mutate_offset(64);
               }),
               "overlaps the FlatBuffer");
  expect_error(open_edited([&](fb::Bundle& b) {
                 fb::Segment* d = tensor(b, "layers.2.mlp.up_proj.weight")->mutable_data();
                 d->mutate_length(d->length() * 2);
               }),
               "does not match its dtype and shape");
}

TEST_F(HostileBundle, ShapeDtypeNameAndBlock) {
  expect_error(open_edited([&](fb::Bundle& b) {
                 tensor(b, "layers.3.self_attn.k_proj.weight")->mutable_shape()->Mutate(0, 64);
               }),
               "tensor layers.3.self_attn.k_proj.weight: shape [64,128] but the config implies [128,128]");
  expect_error(open_edited([&](fb::Bundle& b) {
                 tensor(b, "layers.0.linear_attn.A_log")->mutate_dtype(fb::DType::Q8);
               }),
               "dtype q8 is not allowed for a delta_param tensor");
  expect_error(open_edited([&](fb::Bundle& b) {
                 tensor(b, "layers.0.mlp.up_proj.weight")->mutate_dtype(static_cast<fb::DType>(9));
               }),
               "unknown dtype 9");
  expect_error(open_edited([&](fb::Bundle& b) {
                 fb::Tensor* t = tensor(b, "layers.0.mlp.up_proj.weight");
                 t->mutate_dtype(fb::DType::Q4);  // the untiled layout, with a bad block
                 t->mutate_block_size(48);
               }),
               "block size 48");
  // The tiled dtypes: a tiled tensor read as another tiled dtype has the wrong length, and a
  // schema-1 bundle cannot hold them.
  expect_error(open_edited([&](fb::Bundle& b) {
                 tensor(b, "layers.0.mlp.up_proj.weight")->mutate_dtype(fb::DType::Q8T);
               }),
               "tensor layers.0.mlp.up_proj.weight");
  expect_error(open_edited([&](fb::Bundle& b) { b.mutate_schema_version(1); }), "needs schema version 2");
  expect_error(open_edited([&](fb::Bundle& b) {
                 auto* name = const_cast<flatbuffers::String*>(tensor(b, "layers.5.mlp.gate_proj.weight")->name());
                 name->data()[7] = 'X';  // "layers.X.mlp.gate_proj.weight"
               }),
               "tensor layers.X.mlp.gate_proj.weight: not a tensor of this model");
  expect_error(open_edited([&](fb::Bundle& b) {
                 auto* name = const_cast<flatbuffers::String*>(tensor(b, "layers.5.mlp.gate_proj.weight")->name());
                 name->data()[7] = '6';  // a second layers.6.mlp.gate_proj.weight
               }),
               "tensor layers.6.mlp.gate_proj.weight: appears twice");
  expect_error(open_edited([&](fb::Bundle& b) {
                 auto* name = const_cast<flatbuffers::String*>(tensor(b, "norm.weight")->name());
                 name->data()[0] = 'm';  // "morm.weight": unknown, and norm.weight missing
               }),
               "morm.weight");
}

TEST_F(HostileBundle, HeaderFields) {
  expect_error(open_edited([](fb::Bundle& b) { b.mutate_schema_version(99); }), "schema version 99");
  expect_error(open_edited([](fb::Bundle& b) { b.mutate_data_alignment(48); }), "data_alignment 48");
  expect_error(open_edited([](fb::Bundle& b) { b.mutate_signature_size(73); }), "signature_size 73");
  expect_error(open_edited([](fb::Bundle& b) { b.mutable_config()->mutate_hidden_size(96); }), "shape");
  expect_error(open_edited([](fb::Bundle& b) { b.mutable_config()->mutate_num_key_value_heads(3); }),
               "num_key_value_heads 3");
  expect_error(open_edited([](fb::Bundle& b) { b.mutable_config()->mutate_num_layers(7); }), "layer_types");
  expect_error(open_edited([](fb::Bundle& b) {
                 b.mutable_config()->mutable_layer_types()->Mutate(0, fb::LayerKind::FullAttention);
               }),
               "tensor layers.0.");
  expect_error(open_edited([](fb::Bundle& b) { b.mutable_config()->mutate_vocab_size(512); }),
               "1000 tokens but the embedding has 512 rows");
  std::vector<std::uint8_t> bytes = good_;
  bytes[4] = 'X';
  expect_error(open_bytes(bytes), "not a Linnet bundle");
}

TEST_F(HostileBundle, TokenizerIndices) {
  expect_error(open_edited([](fb::Bundle& b) { b.mutable_tokenizer()->mutable_vocab_offsets()->Mutate(10, 5); }),
               "vocab_offsets decrease");
  expect_error(open_edited([](fb::Bundle& b) { b.mutable_tokenizer()->mutable_merge_left()->Mutate(3, 5000); }),
               "merge 3 names a token outside the vocabulary");
  expect_error(open_edited([](fb::Bundle& b) { b.mutable_tokenizer()->mutate_eos_id(1000); }), "eos_id 1000");
  expect_error(open_edited([](fb::Bundle& b) {
                 b.mutable_tokenizer()->mutable_added_tokens()->GetMutableObject(0)->mutate_id(4000);
               }),
               "added token id 4000");
}

TEST_F(HostileBundle, SignatureSlotIsOutsideTheHash) {
  auto r = open_edited([](fb::Bundle& b) {
    b.mutable_signature()->Mutate(0, 0x30);
    b.mutable_signature()->Mutate(1, 0x44);
    b.mutate_signature_size(70);
  });
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->signature().size(), 70u);
  EXPECT_EQ(r->signature()[0], 0x30);
  EXPECT_TRUE(r->verify_sha256().ok());
}

// The hash skips the signature slot, so the loader checks it: an unused slot (or the part
// past the signature in use) is all zero, and a signature in use is a DER SEQUENCE of
// exactly signature_size bytes.
TEST_F(HostileBundle, SignatureSlotHoldsNothingUnchecked) {
  // A stray byte in an unused slot (signature_size 0).
  expect_error(open_edited([](fb::Bundle& b) { b.mutable_signature()->Mutate(40, 0x01); }),
               "signature slot byte 40 is 1, but signature_size is 0");
  expect_error(open_edited([](fb::Bundle& b) { b.mutable_signature()->Mutate(71, 0xFF); }),
               "signature slot byte 71");
  // A byte past a 70-byte signature.
  expect_error(open_edited([](fb::Bundle& b) {
                 b.mutable_signature()->Mutate(0, 0x30);
                 b.mutable_signature()->Mutate(1, 0x44);
                 b.mutable_signature()->Mutate(70, 0x01);
                 b.mutate_signature_size(70);
               }),
               "signature slot byte 70");
  // A zero-filled slot whose size field was edited: no signature there.
  expect_error(open_edited([](fb::Bundle& b) { b.mutate_signature_size(72); }),
               "signature_size 72 but the slot does not start a DER signature of that size");
  // A DER header that disagrees with signature_size.
  expect_error(open_edited([](fb::Bundle& b) {
                 b.mutable_signature()->Mutate(0, 0x30);
                 b.mutable_signature()->Mutate(1, 0x44);
                 b.mutate_signature_size(72);
               }),
               "does not start a DER signature");
}

}  // namespace
}  // namespace linnet
