#include "kernels/xnnpack/packed_weights_cache.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace linnet::kernels {

namespace {

constexpr char kMagic[8] = {'L', 'N', 'N', 'T', 'X', 'P', 'W', 'C'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kHeaderBytes = 4096;  // the data starts here (page aligned)
constexpr std::size_t kMaxKeyBytes = 2048;
constexpr std::size_t kEntryAlignment = 64;  // XNNPACK's XNN_ALLOCATION_ALIGNMENT or more
constexpr std::size_t kGrowStep = std::size_t{64} << 20;
// Offsets with this bit set name an anonymous block (index in the low bits), not the file.
constexpr std::size_t kMemoryOffsetBit = std::size_t{1} << 62;
// XNNPACK's "not in the cache" answer (XNN_CACHE_NOT_FOUND, internal to XNNPACK).
constexpr std::size_t kNotFound = SIZE_MAX;

// Header as written at offset 0 (fixed-width fields, then the key bytes).
struct FileHeader {
  char magic[8];
  std::uint32_t format_version;
  std::uint32_t key_bytes;
  std::uint64_t entry_count;
  std::uint64_t data_offset;
  std::uint64_t index_offset;
  std::uint64_t index_bytes;
};
static_assert(sizeof(FileHeader) == 48);

struct EntryRecord {
  std::uint32_t seed;
  std::uint32_t identity_bytes;
  std::uint64_t offset;
  std::uint64_t size;
};
static_assert(sizeof(EntryRecord) == 24);

std::size_t round_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }

std::string errno_text() { return std::strerror(errno); }

struct AlignedFree {
  void operator()(void* p) const { std::free(p); }
};

}  // namespace

struct PackedWeightsCache::State {
  std::mutex mutex;
  bool finalized = false;

  // The file mapping (kMapped: read-only, whole file; kWriting: read-write reservation).
  int fd = -1;
  std::uint8_t* base = nullptr;
  std::size_t mapped_bytes = 0;  // kMapped: file size; kWriting: reservation
  std::string temp_path;         // kWriting
  std::size_t file_bytes = 0;    // kWriting: current file length
  std::size_t used = kHeaderBytes;  // kWriting: next free offset

  // Entries: "seed:identity" -> offset (file offset or kMemoryOffsetBit | block).
  std::unordered_map<std::string, std::size_t> entries;
  struct Written {
    std::uint32_t seed;
    std::string identity;
    std::size_t offset, size;
  };
  std::vector<Written> written;  // kWriting: what goes into the index

  std::vector<std::unique_ptr<void, AlignedFree>> blocks;  // anonymous packed weights
  std::size_t memory_bytes = 0;
  std::size_t file_packed_bytes = 0;

  // The operator being created: bound weight, the key it was looked up with, and where
  // its space was reserved.
  bool bound_valid = false;
  std::string bound_identity;
  std::string pending_key, pending_identity;
  std::uint32_t pending_seed = 0;
  bool pending_identified = false;
  void* pending_ptr = nullptr;
  bool pending_in_file = false;

  std::size_t hits = 0, misses = 0;
  bool out_of_file_space = false;

  std::string key_of(std::uint32_t seed, const std::string& identity) const {
    return std::to_string(seed) + ":" + identity;
  }

  void* offset_to_addr(std::size_t offset) const {
    if ((offset & kMemoryOffsetBit) != 0) return blocks[offset & ~kMemoryOffsetBit].get();
    return base + offset;
  }

  void* reserve_memory(std::size_t n) {
    void* p = nullptr;
    if (posix_memalign(&p, kEntryAlignment, n == 0 ? kEntryAlignment : n) != 0) return nullptr;
    blocks.emplace_back(p);
    memory_bytes += n;
    return p;
  }

  // kWriting: makes [used, used + n) part of the file. False when it does not fit the
  // reservation or the disk.
  bool grow_file(std::size_t n) {
    const std::size_t need = used + n;
    if (need > mapped_bytes) return false;
    if (need <= file_bytes) return true;
    const std::size_t target = std::min(mapped_bytes, round_up(need, kGrowStep));
    // fallocate reserves real blocks, so a full disk is an error here rather than a SIGBUS
    // when XNNPACK writes through the mapping. Filesystems without it fall back to ftruncate.
    int rc = ::posix_fallocate(fd, static_cast<off_t>(file_bytes), static_cast<off_t>(target - file_bytes));
    if (rc == EOPNOTSUPP || rc == EINVAL) {
      rc = ::ftruncate(fd, static_cast<off_t>(target)) == 0 ? 0 : errno;
    }
    if (rc != 0) {
      out_of_file_space = true;
      return false;
    }
    file_bytes = target;
    return true;
  }
};

PackedWeightsCache::PackedWeightsCache(Options options)
    : options_(std::move(options)), state_(std::make_unique<State>()) {
  provider_.context = this;
  provider_.look_up = [](void* ctx, const xnn_weights_cache_look_up_key* key) -> std::size_t {
    auto* self = static_cast<PackedWeightsCache*>(ctx);
    State& s = *self->state_;
    std::lock_guard lock(s.mutex);
    // The identity bound just before this operator's creation names it; it is used once.
    // (Not matched by pointer: for f16 weights XNNPACK looks up a temporary f32 copy.)
    s.pending_identified = s.bound_valid && key->bias == nullptr;
    s.bound_valid = false;
    s.pending_key = s.pending_identified ? s.key_of(key->seed, s.bound_identity) : std::string();
    s.pending_identity = s.bound_identity;
    s.pending_seed = key->seed;
    if (!s.pending_identified) return kNotFound;
    const auto it = s.entries.find(s.pending_key);
    if (it == s.entries.end()) return kNotFound;
    ++s.hits;
    return it->second;
  };
  provider_.reserve_space = [](void* ctx, std::size_t n) -> void* {
    auto* self = static_cast<PackedWeightsCache*>(ctx);
    State& s = *self->state_;
    std::lock_guard lock(s.mutex);
    if (s.finalized) return nullptr;
    s.pending_in_file = self->mode_ == Mode::kWriting && s.pending_identified && s.grow_file(n);
    s.pending_ptr = s.pending_in_file ? s.base + s.used : s.reserve_memory(n);
    return s.pending_ptr;
  };
  provider_.look_up_or_insert = [](void* ctx, const xnn_weights_cache_look_up_key* key, void* ptr,
                                   std::size_t size) -> std::size_t {
    auto* self = static_cast<PackedWeightsCache*>(ctx);
    State& s = *self->state_;
    std::lock_guard lock(s.mutex);
    const bool identified = s.pending_identified && key->seed == s.pending_seed;
    const std::string k = identified ? s.pending_key : std::string();
    s.pending_identified = false;
    if (identified) {
      const auto it = s.entries.find(k);
      if (it != s.entries.end()) return it->second;
    }
    std::size_t offset;
    if (ptr == s.pending_ptr && s.pending_in_file) {
      offset = s.used;
      s.used = round_up(s.used + size, kEntryAlignment);
      s.file_packed_bytes += size;
      if (identified) s.written.push_back({key->seed, s.pending_identity, offset, size});
    } else if (!s.blocks.empty() && ptr == s.blocks.back().get()) {
      offset = kMemoryOffsetBit | (s.blocks.size() - 1);
    } else {  // packed somewhere we did not hand out: keep a copy
      void* copy = s.reserve_memory(size);
      if (copy == nullptr) return kNotFound;
      std::memcpy(copy, ptr, size);
      offset = kMemoryOffsetBit | (s.blocks.size() - 1);
    }
    s.pending_ptr = nullptr;
    ++s.misses;
    if (identified) s.entries.emplace(k, offset);
    return offset;
  };
  provider_.is_finalized = [](void* ctx) -> bool {
    return static_cast<PackedWeightsCache*>(ctx)->finalized();
  };
  provider_.offset_to_addr = [](void* ctx, std::size_t offset) -> void* {
    return static_cast<PackedWeightsCache*>(ctx)->state_->offset_to_addr(offset);
  };
  provider_.delete_cache = [](void*) -> xnn_status { return xnn_status_success; };  // we own it
}

PackedWeightsCache::~PackedWeightsCache() {
  State& s = *state_;
  if (s.base != nullptr) ::munmap(s.base, s.mapped_bytes);
  if (s.fd >= 0) ::close(s.fd);
  if (mode_ == Mode::kWriting && !s.finalized && !s.temp_path.empty()) ::unlink(s.temp_path.c_str());
}

namespace {

// Reads a complete cache file; an empty string means success, otherwise why it is unusable.
std::string read_cache_file(const std::uint8_t* p, std::size_t size, const std::string& key,
                            std::unordered_map<std::string, std::size_t>& entries) {
  if (size < kHeaderBytes) return "shorter than its header";
  FileHeader h;
  std::memcpy(&h, p, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) return "not a Linnet packed-weights cache";
  if (h.format_version != kFormatVersion) return "format version " + std::to_string(h.format_version);
  if (h.key_bytes > kMaxKeyBytes || sizeof h + h.key_bytes > kHeaderBytes) return "bad key length";
  if (std::string_view(reinterpret_cast<const char*>(p + sizeof h), h.key_bytes) != key) {
    return "made for another bundle, XNNPACK build or CPU";
  }
  if (h.data_offset != kHeaderBytes || h.index_offset < h.data_offset || h.index_offset > size ||
      h.index_bytes > size - h.index_offset) {
    return "bad section offsets";
  }
  std::size_t at = h.index_offset;
  const std::size_t end = h.index_offset + h.index_bytes;
  for (std::uint64_t i = 0; i < h.entry_count; ++i) {
    if (end - at < sizeof(EntryRecord)) return "index truncated";
    EntryRecord e;
    std::memcpy(&e, p + at, sizeof e);
    at += sizeof e;
    if (e.identity_bytes > end - at) return "index truncated";
    if (e.offset < h.data_offset || e.offset % kEntryAlignment != 0 || e.offset > h.index_offset ||
        e.size > h.index_offset - e.offset) {
      return "entry outside the data section";
    }
    const std::string identity(reinterpret_cast<const char*>(p + at), e.identity_bytes);
    at += e.identity_bytes;
    entries.emplace(std::to_string(e.seed) + ":" + identity, static_cast<std::size_t>(e.offset));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<PackedWeightsCache>> PackedWeightsCache::open(Options options) {
  if (options.key.size() > kMaxKeyBytes) {
    return Error(ErrorCode::kInvalidArgument, "packed-weights cache: key longer than 2048 bytes");
  }
  std::unique_ptr<PackedWeightsCache> cache(new PackedWeightsCache(std::move(options)));
  const Options& o = cache->options_;
  State& s = *cache->state_;
  const auto log = [&](const std::string& m) {
    if (o.log) o.log(m);
  };
  if (o.path.empty()) {
    cache->mode_ = Mode::kMemory;
    return cache;
  }

  // 1. A complete file with our key: map it.
  const int fd = ::open(o.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    std::string why;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      why = "not a regular file";
    } else {
      const auto size = static_cast<std::size_t>(st.st_size);
      void* p = size >= kHeaderBytes ? ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
      if (p == MAP_FAILED) {
        why = size < kHeaderBytes ? "shorter than its header" : "mmap failed: " + errno_text();
      } else {
        why = read_cache_file(static_cast<const std::uint8_t*>(p), size, o.key, s.entries);
        if (why.empty()) {
          s.fd = fd;
          s.base = static_cast<std::uint8_t*>(p);
          s.mapped_bytes = size;
          s.file_packed_bytes = size;
          cache->mode_ = Mode::kMapped;
          return cache;
        }
        ::munmap(p, size);
        s.entries.clear();
      }
    }
    ::close(fd);
    log("packed-weights cache " + o.path + " is unusable (" + why + "): rebuilding it");
  }

  // 2. Pack into a new file, renamed into place by finalize().
  s.temp_path = o.path + ".tmp." + std::to_string(::getpid());
  const int wfd = ::open(s.temp_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (wfd >= 0) {
    void* p = ::mmap(nullptr, o.reserve_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0);
    if (p != MAP_FAILED && ::ftruncate(wfd, static_cast<off_t>(kHeaderBytes)) == 0) {
      s.fd = wfd;
      s.base = static_cast<std::uint8_t*>(p);
      s.mapped_bytes = o.reserve_bytes;
      s.file_bytes = kHeaderBytes;
      cache->mode_ = Mode::kWriting;
      log("packing weights for XNNPACK into " + o.path +
          " (first load of this bundle with this XNNPACK and CPU; later loads map the file)");
      return cache;
    }
    const std::string why = errno_text();
    if (p != MAP_FAILED) ::munmap(p, o.reserve_bytes);
    ::close(wfd);
    ::unlink(s.temp_path.c_str());
    log("cannot write packed-weights cache " + s.temp_path + " (" + why + "): packing weights in memory");
  } else {
    log("cannot write packed-weights cache " + s.temp_path + " (" + errno_text() +
        "): packing weights in memory");
  }
  s.temp_path.clear();
  cache->mode_ = Mode::kMemory;
  return cache;
}

void PackedWeightsCache::bind_next(std::string_view identity) {
  std::lock_guard lock(state_->mutex);
  state_->bound_valid = true;
  state_->bound_identity.assign(identity);
}

bool PackedWeightsCache::finalized() const {
  std::lock_guard lock(state_->mutex);
  return state_->finalized;
}

std::size_t PackedWeightsCache::packed_bytes() const {
  std::lock_guard lock(state_->mutex);
  return state_->file_packed_bytes + state_->memory_bytes;
}
std::size_t PackedWeightsCache::hits() const {
  std::lock_guard lock(state_->mutex);
  return state_->hits;
}
std::size_t PackedWeightsCache::misses() const {
  std::lock_guard lock(state_->mutex);
  return state_->misses;
}

Status PackedWeightsCache::finalize() {
  State& s = *state_;
  std::lock_guard lock(s.mutex);
  if (s.finalized) return ok_status();
  const auto fail = [&](const std::string& what) {
    return Error(ErrorCode::kIo, "packed-weights cache " + s.temp_path + ": " + what + ": " + errno_text());
  };
  if (mode_ == Mode::kWriting) {
    // Index after the data, then the header; then make it durable and atomically visible.
    std::vector<std::uint8_t> index;
    for (const auto& w : s.written) {
      EntryRecord e{w.seed, static_cast<std::uint32_t>(w.identity.size()), w.offset, w.size};
      const auto* eb = reinterpret_cast<const std::uint8_t*>(&e);
      index.insert(index.end(), eb, eb + sizeof e);
      index.insert(index.end(), w.identity.begin(), w.identity.end());
    }
    const std::size_t index_offset = round_up(s.used, kEntryAlignment);
    std::vector<std::uint8_t> header(kHeaderBytes, 0);
    FileHeader h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.format_version = kFormatVersion;
    h.key_bytes = static_cast<std::uint32_t>(options_.key.size());
    h.entry_count = s.written.size();
    h.data_offset = kHeaderBytes;
    h.index_offset = index_offset;
    h.index_bytes = index.size();
    std::memcpy(header.data(), &h, sizeof h);
    std::memcpy(header.data() + sizeof h, options_.key.data(), options_.key.size());
    const std::size_t total = index_offset + index.size();
    if (::ftruncate(s.fd, static_cast<off_t>(total)) != 0) return fail("truncate");
    if (!index.empty() &&
        ::pwrite(s.fd, index.data(), index.size(), static_cast<off_t>(index_offset)) !=
            static_cast<ssize_t>(index.size())) {
      return fail("write index");
    }
    if (::pwrite(s.fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
      return fail("write header");
    }
    if (::fdatasync(s.fd) != 0) return fail("sync");
    if (::rename(s.temp_path.c_str(), options_.path.c_str()) != 0) return fail("rename to " + options_.path);
    // The packed data stay reachable through the reservation; no more writes.
    ::mprotect(s.base, round_up(total, static_cast<std::size_t>(::sysconf(_SC_PAGESIZE))), PROT_READ);
    if (options_.log) {
      options_.log("packed " + std::to_string(s.written.size()) + " weights (" +
                   std::to_string(s.file_packed_bytes >> 20) + " MiB) into " + options_.path +
                   (s.out_of_file_space ? " (out of file space: the rest stays in memory)" : ""));
    }
  }
  s.finalized = true;
  return ok_status();
}

std::string PackedWeightsCache::describe() const {
  std::lock_guard lock(state_->mutex);
  const State& s = *state_;
  const auto mib = [](std::size_t b) { return std::to_string((b + (1u << 19)) >> 20) + " MiB"; };
  switch (mode_) {
    case Mode::kMapped:
      return "mapped " + options_.path + " (" + std::to_string(s.hits) + " operators found, " +
             std::to_string(s.misses) + " packed in memory: " + mib(s.memory_bytes) + ")";
    case Mode::kWriting:
      return "wrote " + options_.path + " (" + std::to_string(s.written.size()) + " operators, " +
             mib(s.file_packed_bytes) + "; " + mib(s.memory_bytes) + " in memory)";
    case Mode::kMemory:
      return "packed in memory (" + std::to_string(s.misses) + " operators, " + mib(s.memory_bytes) + ")";
  }
  return {};
}

std::string xnnpack_library_identity() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&xnn_initialize), &info) == 0 || info.dli_fname == nullptr) {
    return "static";
  }
  std::string path = info.dli_fname;
  struct stat st {};
  const std::string size = ::stat(path.c_str(), &st) == 0 ? ":" + std::to_string(st.st_size) : "";
  const std::size_t slash = path.rfind('/');
  return (slash == std::string::npos ? path : path.substr(slash + 1)) + size;
}

}  // namespace linnet::kernels
