#include "converter/lib/bundle_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "runtime/bundle/bundle_format.h"
#include "runtime/bundle/bundle_generated.h"
#include "runtime/bundle/bundle_hash.h"
#include "runtime/bundle/tensor_layout.h"
#include "runtime/core/file_replacement.h"

namespace linnet::convert {
namespace {

struct SegmentPlan {
  std::uint64_t data_offset = 0;
  std::uint64_t data_length = 0;
  std::uint64_t scales_offset = 0;
  std::uint64_t scales_length = 0;
};

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

// Builds the FlatBuffer for `c` with the segment positions in `segs` (all zero in the
// sizing pass). Every scalar is written (ForceDefaults), so the buffer's size does not
// depend on the offsets' values.
flatbuffers::DetachedBuffer build_flatbuffer(const BundleContents& c, const std::vector<PlannedTensor>& plan,
                                             const std::vector<SegmentPlan>& segs) {
  flatbuffers::FlatBufferBuilder b(1 << 16);
  b.ForceDefaults(true);
  const HyperParams& hp = c.hp;
  const TokenizerData& t = *c.tokenizer;

  std::vector<fb::LayerKind> kinds;
  for (const LayerKind k : hp.layer_types) {
    kinds.push_back(k == LayerKind::kFullAttention ? fb::LayerKind::FullAttention : fb::LayerKind::LinearAttention);
  }
  auto u32 = [](int v) { return static_cast<std::uint32_t>(v); };
  const auto config = fb::CreateModelConfig(
      b, b.CreateString(c.architecture), u32(hp.hidden_size), u32(hp.num_layers), u32(hp.intermediate_size),
      u32(hp.vocab_size), u32(hp.num_attention_heads), u32(hp.num_key_value_heads), u32(hp.head_dim),
      u32(hp.linear_num_key_heads), u32(hp.linear_num_value_heads), u32(hp.linear_key_head_dim),
      u32(hp.linear_value_head_dim), u32(hp.linear_conv_kernel_dim), hp.rope_theta, hp.partial_rotary_factor,
      hp.rms_norm_eps, hp.tie_word_embeddings, u32(hp.max_position_embeddings), b.CreateVector(kinds));

  std::vector<flatbuffers::Offset<fb::AddedToken>> added;
  for (const auto& a : t.added_tokens) added.push_back(fb::CreateAddedToken(b, a.id, b.CreateString(a.content), a.special));
  const auto tokenizer = fb::CreateTokenizer(
      b, b.CreateString(t.model), b.CreateString(t.normalizer), b.CreateString(t.pre_tokenizer),
      b.CreateVector(t.vocab_bytes), b.CreateVector(t.vocab_offsets), b.CreateVector(t.merge_left),
      b.CreateVector(t.merge_right), b.CreateVector(t.merge_result), b.CreateVector(added), t.eos_id, t.pad_id,
      t.endoftext_id, t.im_start_id, t.im_end_id, t.think_id, t.end_think_id);

  const auto chat = fb::CreateChatTemplate(b, b.CreateString(c.chat.im_start), b.CreateString(c.chat.im_end),
                                           b.CreateString(c.chat.thinking_on), b.CreateString(c.chat.thinking_off),
                                           c.chat.default_thinking);
  const GenerationDefaults& g = c.generation;
  const auto generation = fb::CreateGenerationDefaults(b, g.temperature, static_cast<std::uint32_t>(g.top_k), g.top_p,
                                                       g.min_p, g.repetition_penalty,
                                                       static_cast<std::uint32_t>(g.max_new_tokens));
  const ProvenanceData& p = c.provenance;
  const auto provenance =
      fb::CreateProvenance(b, b.CreateString(p.source_model), b.CreateString(p.converter_version),
                           p.created_unix_seconds, b.CreateString(p.quantization), p.synthetic);

  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const PlannedTensor& pt = plan[i];
    std::vector<std::uint64_t> shape(pt.shape.begin(), pt.shape.end());
    const fb::Segment data(segs[i].data_offset, segs[i].data_length);
    const fb::Segment scales(segs[i].scales_offset, segs[i].scales_length);
    tensors.push_back(fb::CreateTensor(b, b.CreateString(pt.name), static_cast<fb::DType>(pt.dtype),
                                       b.CreateVector(shape), &data,
                                       segs[i].scales_length > 0 ? &scales : nullptr, pt.block_size));
  }
  const auto tensor_vec = b.CreateVector(tensors);
  const std::vector<std::uint8_t> zero_sha(kSha256Bytes, 0);
  const std::vector<std::uint8_t> zero_sig(kSignatureSlotBytes, 0);
  const auto sha = b.CreateVector(zero_sha);
  const auto sig = b.CreateVector(zero_sig);
  const auto root = fb::CreateBundle(b, kBundleSchemaVersion, config, tokenizer, chat, generation, provenance,
                                     tensor_vec, c.data_alignment, sha, sig, 0);
  fb::FinishBundleBuffer(b, root);
  return b.Release();
}

}  // namespace

struct BundleWriter::State {
  std::string path;
  std::optional<FileReplacement> file;  // beside `path`, renamed over it by finish()
  std::vector<PlannedTensor> plan;
  std::vector<SegmentPlan> segs;
  std::size_t next = 0;
  std::uint64_t position = 0;
  std::uint64_t file_size = 0;
  std::uint64_t sha_offset = 0;
  std::uint32_t alignment = 64;
  Sha256 sha;
  std::vector<std::uint8_t> buffer;  // pending bytes, flushed in large writes

  Error write_error(int err) const {
    if (err == ENOSPC || err == EFBIG || err == EDQUOT) {
      return Error(ErrorCode::kNoSpace, path + ": no space left writing the bundle (" + std::strerror(err) + ")");
    }
    return Error(ErrorCode::kIo, path + ": write failed: " + std::strerror(err));
  }

  Status flush() {
    std::size_t done = 0;
    while (done < buffer.size()) {
      const ssize_t n = ::write(file->fd(), buffer.data() + done, buffer.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return write_error(errno);
      }
      if (n == 0) return write_error(ENOSPC);
      done += static_cast<std::size_t>(n);
    }
    buffer.clear();
    return ok_status();
  }

  Status append(std::span<const std::uint8_t> bytes) {
    sha.update(bytes);
    position += bytes.size();
    if (bytes.size() >= (1u << 20)) {  // large: write through
      LINNET_TRY(flush());
      buffer.assign(bytes.begin(), bytes.end());
      return flush();
    }
    buffer.insert(buffer.end(), bytes.begin(), bytes.end());
    if (buffer.size() >= (4u << 20)) return flush();
    return ok_status();
  }

  Status pad_to(std::uint64_t offset) {
    static constexpr std::uint8_t kZeros[4096] = {};
    while (position < offset) {
      const std::uint64_t n = std::min<std::uint64_t>(sizeof(kZeros), offset - position);
      LINNET_TRY(append(std::span<const std::uint8_t>(kZeros, static_cast<std::size_t>(n))));
    }
    return ok_status();
  }
};

BundleWriter::BundleWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
BundleWriter::BundleWriter(BundleWriter&&) noexcept = default;
BundleWriter& BundleWriter::operator=(BundleWriter&&) noexcept = default;
BundleWriter::~BundleWriter() = default;

std::size_t BundleWriter::tensors_written() const { return state_->next; }
std::uint64_t BundleWriter::planned_file_size() const { return state_->file_size; }

Result<BundleWriter> BundleWriter::create(const std::string& path, const BundleContents& contents,
                                          std::vector<PlannedTensor> plan) {
  if (contents.tokenizer == nullptr) return Error(ErrorCode::kInvalidArgument, "bundle writer: no tokenizer");
  const std::uint32_t align = contents.data_alignment;
  if (align < kDefaultDataAlignment || (align & (align - 1)) != 0 || align > (1u << 16)) {
    return Error(ErrorCode::kInvalidArgument, "data alignment " + std::to_string(align) +
                                                  " is not a power of two in [64, 65536]");
  }
  auto state = std::make_unique<State>();
  state->path = path;
  state->alignment = align;
  state->segs.resize(plan.size());
  for (std::size_t i = 0; i < plan.size(); ++i) {
    auto bytes = tensor_bytes(plan[i].dtype, plan[i].shape, plan[i].block_size);
    if (!bytes.ok()) return Error(ErrorCode::kInternal, "tensor " + plan[i].name + ": " + bytes.error().message());
    state->segs[i].data_length = bytes->data;
    state->segs[i].scales_length = bytes->scales;
  }
  // Pass 1: size the FlatBuffer. Pass 2: the same buffer with the real offsets.
  const std::uint64_t fb_size = build_flatbuffer(contents, plan, state->segs).size();
  std::uint64_t offset = align_up(fb_size, align);
  for (SegmentPlan& s : state->segs) {
    s.data_offset = offset;
    offset = align_up(offset + s.data_length, align);
    if (s.scales_length > 0) {
      s.scales_offset = offset;
      offset = align_up(offset + s.scales_length, align);
    }
  }
  flatbuffers::DetachedBuffer fbuf = build_flatbuffer(contents, plan, state->segs);
  if (fbuf.size() != fb_size) {
    return Error(ErrorCode::kInternal, "bundle writer: FlatBuffer size changed between passes");
  }
  // The last segment's end: the file ends exactly there (no trailing padding).
  std::uint64_t end = align_up(fb_size, align);
  for (const SegmentPlan& s : state->segs) {
    end = std::max(end, s.data_offset + s.data_length);
    if (s.scales_length > 0) end = std::max(end, s.scales_offset + s.scales_length);
  }
  state->file_size = end;
  const fb::Bundle* root = fb::GetBundle(fbuf.data());
  state->sha_offset = static_cast<std::uint64_t>(root->content_sha256()->Data() - fbuf.data());
  state->plan = std::move(plan);

  // Temporary file beside the output, so the final rename is atomic.
  state->file.emplace(LINNET_TRY(FileReplacement::create(path)));
  LINNET_TRY(state->append(std::span<const std::uint8_t>(fbuf.data(), fbuf.size())));
  return BundleWriter(std::move(state));
}

Status BundleWriter::write_tensor(std::span<const std::uint8_t> data, std::span<const std::uint8_t> scales) {
  State& s = *state_;
  if (s.next >= s.plan.size()) return Error(ErrorCode::kFailedPrecondition, "bundle writer: more tensors than planned");
  const SegmentPlan& seg = s.segs[s.next];
  const PlannedTensor& pt = s.plan[s.next];
  if (data.size() != seg.data_length || scales.size() != seg.scales_length) {
    return Error(ErrorCode::kInternal, "tensor " + pt.name + ": " + std::to_string(data.size()) + "+" +
                                           std::to_string(scales.size()) + " bytes, planned " +
                                           std::to_string(seg.data_length) + "+" + std::to_string(seg.scales_length));
  }
  LINNET_TRY(s.pad_to(seg.data_offset));
  LINNET_TRY(s.append(data));
  if (seg.scales_length > 0) {
    LINNET_TRY(s.pad_to(seg.scales_offset));
    LINNET_TRY(s.append(scales));
  }
  ++s.next;
  return ok_status();
}

Result<Sha256Digest> BundleWriter::finish() {
  State& s = *state_;
  if (s.next != s.plan.size()) {
    return Error(ErrorCode::kFailedPrecondition, "bundle writer: " + std::to_string(s.next) + " of " +
                                                     std::to_string(s.plan.size()) + " tensors written");
  }
  LINNET_TRY(s.pad_to(s.file_size));
  LINNET_TRY(s.flush());
  const Sha256Digest digest = s.sha.finish();
  std::size_t done = 0;
  while (done < digest.size()) {
    const ssize_t n = ::pwrite(s.file->fd(), digest.data() + done, digest.size() - done,
                               static_cast<off_t>(s.sha_offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return s.write_error(n < 0 ? errno : ENOSPC);
    done += static_cast<std::size_t>(n);
  }
  LINNET_TRY(s.file->commit());  // fsync, rename into place, fsync the directory
  return digest;
}

}  // namespace linnet::convert
