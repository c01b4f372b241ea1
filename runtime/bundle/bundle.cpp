#include "runtime/bundle/bundle.h"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>

#include "runtime/bundle/bundle_format.h"
#include "runtime/bundle/bundle_generated.h"
#include "runtime/bundle/hyper_params.h"
#include "runtime/bundle/tensor_layout.h"

namespace linnet {
namespace {

Error corrupt(std::string message) { return Error(ErrorCode::kCorrupt, std::move(message)); }

std::string_view view_of(const flatbuffers::String* s) {
  return s == nullptr ? std::string_view() : std::string_view(s->c_str(), s->size());
}

template <typename T>
std::span<const T> span_of(const flatbuffers::Vector<T>* v) {
  return v == nullptr ? std::span<const T>() : std::span<const T>(v->data(), v->size());
}

int to_int(std::uint32_t v) {
  return v > static_cast<std::uint32_t>(std::numeric_limits<int>::max()) ? std::numeric_limits<int>::max()
                                                                         : static_cast<int>(v);
}

Result<HyperParams> read_hyper_params(const fb::ModelConfig& c) {
  HyperParams hp;
  hp.hidden_size = to_int(c.hidden_size());
  hp.num_layers = to_int(c.num_layers());
  hp.intermediate_size = to_int(c.intermediate_size());
  hp.vocab_size = to_int(c.vocab_size());
  hp.num_attention_heads = to_int(c.num_attention_heads());
  hp.num_key_value_heads = to_int(c.num_key_value_heads());
  hp.head_dim = to_int(c.head_dim());
  hp.linear_num_key_heads = to_int(c.linear_num_key_heads());
  hp.linear_num_value_heads = to_int(c.linear_num_value_heads());
  hp.linear_key_head_dim = to_int(c.linear_key_head_dim());
  hp.linear_value_head_dim = to_int(c.linear_value_head_dim());
  hp.linear_conv_kernel_dim = to_int(c.linear_conv_kernel_dim());
  hp.rope_theta = c.rope_theta();
  hp.partial_rotary_factor = c.partial_rotary_factor();
  hp.rms_norm_eps = c.rms_norm_eps();
  hp.tie_word_embeddings = c.tie_word_embeddings();
  hp.max_position_embeddings = to_int(c.max_position_embeddings());
  for (const auto kind : *c.layer_types()) {
    if (kind != fb::LayerKind::LinearAttention && kind != fb::LayerKind::FullAttention) {
      return corrupt("config: unknown layer kind " + std::to_string(static_cast<int>(kind)));
    }
    hp.layer_types.push_back(kind == fb::LayerKind::FullAttention ? LayerKind::kFullAttention
                                                                  : LayerKind::kLinearAttention);
  }
  const std::string_view arch = view_of(c.architecture());
  if (arch != "qwen3_5") {
    return Error(ErrorCode::kUnsupported, "config: architecture '" + std::string(arch) + "' is not qwen3_5");
  }
  auto status = validate_hyper_params(hp);
  if (!status.ok()) return std::move(status).error().with_context("config");
  return hp;
}

Status check_id(const char* what, std::int64_t id, std::size_t count, bool allow_none) {
  if (allow_none && id == -1) return ok_status();
  if (id < 0 || static_cast<std::uint64_t>(id) >= count) {
    return corrupt(std::string("tokenizer: ") + what + " " + std::to_string(id) + " is not a token id (vocab has " +
                   std::to_string(count) + ")");
  }
  return ok_status();
}

// Builds the tokenizer views and checks every index they contain, so the runtime
// tokenizer can index without checks: offsets monotonic and inside vocab_bytes, merge and
// special ids inside the vocab, and the vocab inside the embedding (every id it can emit
// is a row of embed_tokens).
Result<TokenizerSource> read_tokenizer(const fb::Tokenizer& t, const HyperParams& hp) {
  if (view_of(t.model()) != "bpe") {
    return Error(ErrorCode::kUnsupported, "tokenizer: model '" + std::string(view_of(t.model())) + "' is not bpe");
  }
  TokenizerSource s;
  s.vocab_bytes = span_of(t.vocab_bytes());
  s.vocab_offsets = span_of(t.vocab_offsets());
  s.merge_left = span_of(t.merge_left());
  s.merge_right = span_of(t.merge_right());
  s.merge_result = span_of(t.merge_result());
  if (s.vocab_offsets.size() < 2) return corrupt("tokenizer: empty vocabulary");
  const std::size_t count = s.vocab_offsets.size() - 1;
  if (count > static_cast<std::size_t>(hp.vocab_size)) {
    return corrupt("tokenizer: " + std::to_string(count) + " tokens but the embedding has " +
                   std::to_string(hp.vocab_size) + " rows");
  }
  if (s.vocab_offsets.front() != 0 || s.vocab_offsets.back() != s.vocab_bytes.size()) {
    return corrupt("tokenizer: vocab_offsets do not span vocab_bytes");
  }
  for (std::size_t i = 1; i < s.vocab_offsets.size(); ++i) {
    if (s.vocab_offsets[i] < s.vocab_offsets[i - 1]) {
      return corrupt("tokenizer: vocab_offsets decrease at token " + std::to_string(i - 1));
    }
  }
  if (s.merge_right.size() != s.merge_left.size() || s.merge_result.size() != s.merge_left.size()) {
    return corrupt("tokenizer: merge arrays differ in length");
  }
  for (std::size_t r = 0; r < s.merge_left.size(); ++r) {
    if (s.merge_left[r] >= count || s.merge_right[r] >= count || s.merge_result[r] >= count) {
      return corrupt("tokenizer: merge " + std::to_string(r) + " names a token outside the vocabulary");
    }
  }
  if (t.added_tokens() != nullptr) {
    for (const fb::AddedToken* a : *t.added_tokens()) {
      if (a->id() >= count) {
        return corrupt("tokenizer: added token id " + std::to_string(a->id()) + " is outside the vocabulary");
      }
      if (a->content()->size() == 0) return corrupt("tokenizer: added token " + std::to_string(a->id()) + " is empty");
      s.added_tokens.push_back(AddedTokenView{a->id(), view_of(a->content()), a->special()});
    }
  }
  // The tokenizer refuses a kind it does not implement (a bundle from a newer converter).
  s.normalizer = view_of(t.normalizer());
  s.pre_tokenizer = view_of(t.pre_tokenizer());
  s.eos_id = t.eos_id();
  s.pad_id = t.pad_id();
  s.endoftext_id = t.endoftext_id();
  s.im_start_id = t.im_start_id();
  s.im_end_id = t.im_end_id();
  s.think_id = t.think_id();
  s.end_think_id = t.end_think_id();
  LINNET_TRY(check_id("eos_id", s.eos_id, count, true));
  LINNET_TRY(check_id("pad_id", s.pad_id, count, true));
  LINNET_TRY(check_id("endoftext_id", s.endoftext_id, count, true));
  LINNET_TRY(check_id("im_start_id", s.im_start_id, count, true));
  LINNET_TRY(check_id("im_end_id", s.im_end_id, count, true));
  LINNET_TRY(check_id("think_id", s.think_id, count, true));
  LINNET_TRY(check_id("end_think_id", s.end_think_id, count, true));
  return s;
}

struct SegmentUse {
  std::uint64_t offset;
  std::uint64_t length;
  std::string_view tensor;
};

// Checks one segment against the file and the alignment (overflow-safe).
Status check_segment(const fb::Segment& seg, std::uint64_t expected_length, std::uint64_t file_size,
                     std::uint32_t alignment, const char* what) {
  if (seg.length() != expected_length) {
    return corrupt(std::string(what) + " length " + std::to_string(seg.length()) + " does not match its dtype and shape (" +
                   std::to_string(expected_length) + " bytes)");
  }
  if (seg.offset() % alignment != 0) {
    return corrupt(std::string(what) + " offset " + std::to_string(seg.offset()) + " is not aligned to " +
                   std::to_string(alignment));
  }
  if (seg.length() > file_size || seg.offset() > file_size - seg.length()) {
    return corrupt(std::string(what) + " ends beyond the file");
  }
  return ok_status();
}

}  // namespace

Result<Bundle> Bundle::open(const std::string& path, BundleOpenOptions options) {
  Bundle b;
  b.file_ = LINNET_TRY(MappedFile::open(path));
  auto fail = [&](Error e) { return std::move(e).with_context("bundle " + path); };
  const std::uint8_t* base = b.file_.data();
  const std::uint64_t size = b.file_.size();

  if (size < 8 || !fb::BundleBufferHasIdentifier(base)) {
    return fail(corrupt("not a Linnet bundle (no \"LNNT\" file identifier)"));
  }
  // FlatBuffers offsets are 32-bit: the FlatBuffer lies in the first 2 GiB, and the
  // verifier refuses buffers of FLATBUFFERS_MAX_BUFFER_SIZE or more.
  const std::size_t fb_window =
      static_cast<std::size_t>(std::min<std::uint64_t>(size, FLATBUFFERS_MAX_BUFFER_SIZE - 1));
  flatbuffers::Verifier::Options vopts;
  vopts.max_depth = 16;
  vopts.max_tables = 100000;
  flatbuffers::Verifier verifier(base, fb_window, vopts);
  if (!fb::VerifyBundleBuffer(verifier)) {
    return fail(corrupt("the FlatBuffer fails verification (truncated or damaged table)"));
  }
  b.flatbuffer_size_ = verifier.GetComputedSize();
  if (b.flatbuffer_size_ == 0) return fail(corrupt("cannot determine the FlatBuffer's size"));
  const fb::Bundle& root = *fb::GetBundle(base);

  b.schema_version_ = root.schema_version();
  if (b.schema_version_ < kOldestBundleSchemaVersion || b.schema_version_ > kBundleSchemaVersion) {
    return fail(Error(ErrorCode::kUnsupported, "schema version " + std::to_string(b.schema_version_) +
                                                   " (this runtime reads versions " +
                                                   std::to_string(kOldestBundleSchemaVersion) + " to " +
                                                   std::to_string(kBundleSchemaVersion) + ")"));
  }
  b.data_alignment_ = root.data_alignment();
  if (b.data_alignment_ < kDefaultDataAlignment || b.data_alignment_ > (1u << 16) ||
      (b.data_alignment_ & (b.data_alignment_ - 1)) != 0) {
    return fail(corrupt("data_alignment " + std::to_string(b.data_alignment_) +
                        " is not a power of two in [64, 65536]"));
  }

  auto hp = read_hyper_params(*root.config());
  if (!hp.ok()) return fail(std::move(hp).error());
  b.weights_.hp = std::move(*hp);
  b.weights_.file_mapped = true;
  const HyperParams& h = b.weights_.hp;
  b.architecture_ = view_of(root.config()->architecture());

  auto tok = read_tokenizer(*root.tokenizer(), h);
  if (!tok.ok()) return fail(std::move(tok).error());
  b.tokenizer_ = std::move(*tok);

  if (const auto* c = root.chat()) {
    b.chat_ = {view_of(c->im_start()), view_of(c->im_end()), view_of(c->thinking_on()), view_of(c->thinking_off()),
               c->default_thinking()};
  }
  if (const auto* g = root.generation()) {
    b.generation_ = {g->temperature(), to_int(g->top_k()), g->top_p(), g->min_p(), g->repetition_penalty(),
                     to_int(g->max_new_tokens())};
  }
  if (const auto* p = root.provenance()) {
    b.provenance_ = {view_of(p->source_model()), view_of(p->converter_version()), view_of(p->quantization()),
                     p->created_unix_seconds(), p->synthetic()};
  }

  auto slots = find_hash_slots(base, root);
  if (!slots.ok()) return fail(std::move(slots).error());
  b.slots_ = *slots;
  b.signature_size_ = root.signature_size();
  if (b.signature_size_ > kSignatureSlotBytes) {
    return fail(corrupt("signature_size " + std::to_string(b.signature_size_) + " exceeds the 72-byte slot"));
  }
  // The content hash skips the signature slot, so the slot is checked here instead: every
  // byte past the signature in use is zero (all 72 when unsigned), and a signature in use
  // is one DER SEQUENCE of exactly signature_size bytes (short-form length: at most 70).
  // Every byte of a bundle is then either hashed or checked.
  const auto slot = b.file_.bytes().subspan(b.slots_.signature.offset, kSignatureSlotBytes);
  for (std::uint32_t i = b.signature_size_; i < kSignatureSlotBytes; ++i) {
    if (slot[i] != 0) {
      return fail(corrupt("signature slot byte " + std::to_string(i) + " is " + std::to_string(slot[i]) +
                          ", but signature_size is " + std::to_string(b.signature_size_) +
                          ": the unused part of the slot must be zero"));
    }
  }
  if (b.signature_size_ > 0 && (b.signature_size_ < 8 || slot[0] != 0x30 || slot[1] != b.signature_size_ - 2)) {
    return fail(corrupt("signature_size " + std::to_string(b.signature_size_) +
                        " but the slot does not start a DER signature of that size"));
  }

  // Tensors: each must be one the hyper-parameters call for, exactly once, with its shape,
  // an allowed dtype, and segments of the right length inside the file.
  const std::vector<TensorSpec> specs = expected_tensors(h);
  std::unordered_map<std::string_view, std::size_t> spec_index;
  for (std::size_t i = 0; i < specs.size(); ++i) spec_index.emplace(specs[i].name, i);
  std::vector<bool> seen(specs.size(), false);
  b.weights_.layers.resize(static_cast<std::size_t>(h.num_layers));
  for (std::size_t i = 0; i < b.weights_.layers.size(); ++i) b.weights_.layers[i].kind = h.layer_types[i];
  std::vector<SegmentUse> segments;

  for (const fb::Tensor* t : *root.tensors()) {
    const std::string_view name = view_of(t->name());
    const std::string where = "tensor " + std::string(name);
    auto it = spec_index.find(name);
    if (it == spec_index.end()) return fail(corrupt(where + ": not a tensor of this model"));
    if (seen[it->second]) return fail(corrupt(where + ": appears twice"));
    seen[it->second] = true;
    const TensorSpec& spec = specs[it->second];

    const auto raw_dtype = static_cast<std::uint8_t>(t->dtype());
    if (raw_dtype > static_cast<std::uint8_t>(kLastDType)) {
      return fail(corrupt(where + ": unknown dtype " + std::to_string(raw_dtype)));
    }
    const auto dtype = static_cast<DType>(raw_dtype);
    if (is_tiled(dtype) && b.schema_version_ < 2) {
      return fail(corrupt(where + ": dtype " + std::string(dtype_name(dtype)) + " needs schema version 2"));
    }
    if (!dtype_allowed(spec.cls, dtype)) {
      return fail(corrupt(where + ": dtype " + std::string(dtype_name(dtype)) + " is not allowed for a " +
                          std::string(tensor_class_name(spec.cls)) + " tensor"));
    }
    const auto* shape = t->shape();
    // The verifier aligns a vector's length field (4 bytes), not its 8-byte elements: a
    // crafted table can put them off by 4, and reading them would be a misaligned load.
    if (reinterpret_cast<std::uintptr_t>(shape->data()) % alignof(std::uint64_t) != 0) {
      return fail(corrupt(where + ": shape vector is not 8-byte aligned"));
    }
    bool shape_ok = shape->size() == spec.shape.size();
    for (std::size_t d = 0; shape_ok && d < spec.shape.size(); ++d) {
      shape_ok = shape->Get(static_cast<flatbuffers::uoffset_t>(d)) == static_cast<std::uint64_t>(spec.shape[d]);
    }
    if (!shape_ok) {
      std::string got, want;
      for (const auto d : *shape) got += (got.empty() ? "" : ",") + std::to_string(d);
      for (const auto d : spec.shape) want += (want.empty() ? "" : ",") + std::to_string(d);
      return fail(corrupt(where + ": shape [" + got + "] but the config implies [" + want + "]"));
    }
    const std::uint32_t block = dtype == DType::kQ4 ? t->block_size() : 0;
    auto bytes = tensor_bytes(dtype, spec.shape, block);
    if (!bytes.ok()) return fail(std::move(bytes).error().with_context(where));
    auto st = check_segment(*t->data(), bytes->data, size, b.data_alignment_, "data");
    if (!st.ok()) return fail(std::move(st).error().with_context(where));
    segments.push_back({t->data()->offset(), t->data()->length(), name});

    TensorRecord rec;
    TensorView& v = rec.view;
    v.name = name;
    v.dtype = dtype;
    v.rank = static_cast<int>(spec.shape.size());
    for (std::size_t d = 0; d < spec.shape.size(); ++d) v.shape[d] = spec.shape[d];
    for (std::size_t d = spec.shape.size(); d < v.shape.size(); ++d) v.shape[d] = 1;
    v.data = base + t->data()->offset();
    v.data_bytes = static_cast<std::size_t>(bytes->data);
    rec.data_offset = t->data()->offset();
    if (bytes->scales > 0) {
      if (t->scales() == nullptr) return fail(corrupt(where + ": quantized tensor without scales"));
      st = check_segment(*t->scales(), bytes->scales, size, b.data_alignment_, "scales");
      if (!st.ok()) return fail(std::move(st).error().with_context(where));
      segments.push_back({t->scales()->offset(), t->scales()->length(), name});
      v.scales = base + t->scales()->offset();
      v.scales_bytes = static_cast<std::size_t>(bytes->scales);
      v.block_size = block;
      rec.scales_offset = t->scales()->offset();
    } else if (t->scales() != nullptr && t->scales()->length() != 0) {
      return fail(corrupt(where + ": scales given for a " + std::string(dtype_name(dtype)) + " tensor"));
    }
    rec.cls = spec.cls;
    tensor_slot(b.weights_, spec) = v;
    b.records_.push_back(rec);
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (!seen[i]) return fail(corrupt("tensor " + specs[i].name + ": missing"));
  }
  if (h.tie_word_embeddings) b.weights_.lm_head = b.weights_.embed_tokens;

  // Segments may not overlap each other or the FlatBuffer.
  std::sort(segments.begin(), segments.end(),
            [](const SegmentUse& x, const SegmentUse& y) { return x.offset < y.offset; });
  std::uint64_t end = b.flatbuffer_size_;
  std::string_view previous = "the FlatBuffer";
  for (const SegmentUse& s : segments) {
    if (s.offset < end) {
      return fail(corrupt("tensor " + std::string(s.tensor) + ": data overlaps " +
                          (previous == "the FlatBuffer" ? std::string(previous) : "tensor " + std::string(previous))));
    }
    end = s.offset + s.length;
    previous = s.tensor;
    b.weight_bytes_ += s.length;
  }

  if (options.verify_sha256) {
    auto st = b.verify_sha256();
    if (!st.ok()) return fail(std::move(st).error());
  }
  return b;
}

std::span<const std::uint8_t> Bundle::content_sha256() const {
  return file_.bytes().subspan(slots_.content_sha256.offset, slots_.content_sha256.length);
}

std::string Bundle::content_sha256_hex() const { return to_hex(content_sha256()); }

std::span<const std::uint8_t> Bundle::signature() const {
  return file_.bytes().subspan(slots_.signature.offset, signature_size_);
}

Status Bundle::verify_sha256() const {
  const Sha256Digest digest = bundle_content_digest(file_.bytes(), slots_);
  const auto recorded = content_sha256();
  if (!std::equal(digest.begin(), digest.end(), recorded.begin(), recorded.end())) {
    return Error(ErrorCode::kVerification, "content SHA-256 mismatch: recorded " + to_hex(recorded) + ", computed " +
                                               to_hex(digest));
  }
  return ok_status();
}

}  // namespace linnet
