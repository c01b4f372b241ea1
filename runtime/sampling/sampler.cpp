#include "runtime/sampling/sampler.h"

#include <algorithm>
#include <functional>
#include <cmath>
#include <string>

#include "runtime/core/finite.h"

namespace linnet {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

Status validate(const SamplerOptions& o, std::size_t vocab) {
  const auto bad = [](const std::string& what) { return Error(ErrorCode::kInvalidArgument, "sampler: " + what); };
  if (!std::isfinite(o.temperature)) return bad("temperature must be finite");
  if (!(o.top_p > 0.0f && o.top_p <= 1.0f)) return bad("top_p must be in (0, 1]");
  if (!(o.min_p >= 0.0f && o.min_p < 1.0f)) return bad("min_p must be in [0, 1)");
  if (!(o.repetition_penalty > 0.0f) || !std::isfinite(o.repetition_penalty))
    return bad("repetition_penalty must be positive");
  if (o.eligible_ids > vocab) return bad("eligible_ids exceeds the vocabulary");
  return ok_status();
}

}  // namespace

Result<Sampler> Sampler::create(std::size_t vocab_size, const SamplerOptions& options) {
  if (vocab_size == 0 || vocab_size > 0x7FFFFFFF)
    return Error(ErrorCode::kInvalidArgument, "sampler: bad vocabulary size " + std::to_string(vocab_size));
  Sampler s;
  s.work_.resize(vocab_size);
  s.index_.resize(vocab_size);
  s.weight_.resize(vocab_size);
  s.stamp_.assign(vocab_size, 0);
  LINNET_TRY(s.configure(options));
  return s;
}

Status Sampler::configure(const SamplerOptions& options) {
  LINNET_TRY(validate(options, work_.size()));
  options_ = options;
  std::uint64_t x = options.seed;
  for (auto& word : state_) word = splitmix64(x);
  return ok_status();
}

std::uint64_t Sampler::next_u64() {
  // xoshiro256** (Blackman and Vigna).
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

double Sampler::next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

TokenId Sampler::argmax(std::size_t n) const {
  std::size_t best = 0;  // the first maximum, like torch.argmax
  for (std::size_t i = 1; i < n; ++i)
    if (work_[i] > work_[best]) best = i;
  return static_cast<TokenId>(best);
}

float Sampler::kth_largest(std::size_t n, std::size_t k) {
  if (k <= kHeapTopK) {
    // One pass with a min-heap of the k largest values so far (in weight_, free here):
    // most values lose against the heap's minimum with one comparison.
    float* heap = weight_.data();
    std::copy(work_.begin(), work_.begin() + static_cast<std::ptrdiff_t>(k), heap);
    std::make_heap(heap, heap + k, std::greater<float>());
    for (std::size_t i = k; i < n; ++i) {
      if (work_[i] > heap[0]) {
        std::pop_heap(heap, heap + k, std::greater<float>());
        heap[k - 1] = work_[i];
        std::push_heap(heap, heap + k, std::greater<float>());
      }
    }
    return heap[0];
  }
  std::copy(work_.begin(), work_.begin() + static_cast<std::ptrdiff_t>(n), weight_.begin());
  const auto kth = weight_.begin() + static_cast<std::ptrdiff_t>(k - 1);
  std::nth_element(weight_.begin(), kth, weight_.begin() + static_cast<std::ptrdiff_t>(n), std::greater<float>());
  return *kth;
}

std::size_t Sampler::select_nucleus(std::size_t count, double target) {
  const auto w = [this](TokenId id) { return weight_[static_cast<std::size_t>(id)]; };
  const auto before = [&](TokenId a, TokenId b) { return w(a) != w(b) ? w(a) > w(b) : a < b; };
  const auto at = [this](std::size_t i) { return index_.begin() + static_cast<std::ptrdiff_t>(i); };
  // Invariant: index_[0..lo) are kept and weigh target - need; the cut lies in [lo, hi).
  std::size_t lo = 0, hi = count;
  double need = target;
  while (lo < hi) {
    // Median-of-three pivot (deterministic, so the result is reproducible).
    TokenId a = index_[lo], b = index_[lo + (hi - lo) / 2], c = index_[hi - 1];
    if (before(b, a)) std::swap(a, b);
    if (before(c, b)) std::swap(b, c);
    if (before(b, a)) std::swap(a, b);
    const TokenId pivot = b;
    // [lo, mid): more probable than the pivot; then the pivot; then the rest.
    const auto mid_it = std::partition(at(lo), at(hi), [&](TokenId x) { return before(x, pivot); });
    std::iter_swap(mid_it, std::find(mid_it, at(hi), pivot));
    const auto mid = static_cast<std::size_t>(mid_it - index_.begin());
    double upper = 0;
    for (std::size_t i = lo; i < mid; ++i) upper += w(index_[i]);
    if (upper >= need) {
      hi = mid;  // the cut is among the more probable ones
      continue;
    }
    need -= upper;
    if (static_cast<double>(w(pivot)) >= need) return mid + 1;
    need -= w(pivot);
    lo = mid + 1;
  }
  return std::max<std::size_t>(lo, 1);  // rounding left some need: keep what was taken
}

Result<TokenId> Sampler::sample(std::span<const float> logits, std::span<const TokenId> history) {
  const std::size_t vocab = work_.size();
  if (logits.size() != vocab)
    return Error(ErrorCode::kInvalidArgument, "sampler: got " + std::to_string(logits.size()) +
                                                  " logits for a vocabulary of " + std::to_string(vocab));
  const std::size_t n = options_.eligible_ids ? options_.eligible_ids : vocab;
  // Fail closed: NaN loses every comparison, so argmax and the cuts below would quietly
  // pick some token from a damaged model's output.
  if (const std::size_t bad = first_non_finite(logits.first(n)); bad < n) {
    return Error(ErrorCode::kNumeric, "sampler: the logit of token " + std::to_string(bad) + " is " +
                                          non_finite_name(logits[bad]) +
                                          " (the model's output is not finite: damaged weights?)");
  }
  const bool greedy = options_.greedy();
  // work_ = logits / temperature in one pass (a plain copy when greedy); the penalised
  // ids are then redone from the raw logit: penalty first, then temperature, as in
  // transformers.
  if (greedy) {
    std::copy(logits.begin(), logits.begin() + static_cast<std::ptrdiff_t>(n), work_.begin());
  } else {
    const float t = options_.temperature;
    for (std::size_t i = 0; i < n; ++i) work_[i] = logits[i] / t;
  }
  if (options_.repetition_penalty != 1.0f && !history.empty()) {
    if (++stamp_value_ == 0) {  // wrapped: forget every old stamp
      std::fill(stamp_.begin(), stamp_.end(), 0);
      stamp_value_ = 1;
    }
    const float penalty = options_.repetition_penalty;
    for (TokenId id : history) {
      if (id < 0 || static_cast<std::size_t>(id) >= n) continue;
      const auto i = static_cast<std::size_t>(id);
      if (stamp_[i] == stamp_value_) continue;
      stamp_[i] = stamp_value_;
      const float penalised = logits[i] > 0 ? logits[i] / penalty : logits[i] * penalty;
      work_[i] = greedy ? penalised : penalised / options_.temperature;
    }
  }
  if (greedy) return argmax(n);

  // Candidates: index_[0..count), in no particular order.
  std::size_t count = n;
  if (options_.top_k > 0 && options_.top_k < n) {
    // transformers removes the logits below the k-th largest, so every token tied with
    // it stays: find that value, then gather the ids at or above it.
    const float kth = kth_largest(n, options_.top_k);
    count = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (work_[i] >= kth) index_[count++] = static_cast<TokenId>(i);
  } else {
    for (std::size_t i = 0; i < n; ++i) index_[i] = static_cast<TokenId>(i);
  }
  float max_logit = work_[static_cast<std::size_t>(index_[0])];
  for (std::size_t k = 1; k < count; ++k) max_logit = std::max(max_logit, work_[static_cast<std::size_t>(index_[k])]);
  double total = 0;
  for (std::size_t k = 0; k < count; ++k) {
    const auto id = static_cast<std::size_t>(index_[k]);
    weight_[id] = std::exp(work_[id] - max_logit);
    total += weight_[id];
  }

  if (options_.top_p < 1.0f) {
    const double p = static_cast<double>(options_.top_p);
    // A token lighter than (1 - p) * total / count is never in the nucleus: the tokens
    // at most as probable as it would weigh less than the (1 - p) * total the nucleus
    // leaves out. Dropping them first keeps the selection short on a large vocabulary.
    const double light = (1.0 - p) * total / static_cast<double>(count);
    std::size_t kept = 0;
    for (std::size_t k = 0; k < count; ++k)
      if (static_cast<double>(weight_[static_cast<std::size_t>(index_[k])]) >= light) index_[kept++] = index_[k];
    count = select_nucleus(kept, p * total);
  }
  if (options_.min_p > 0.0f) {
    // p_i / p_max = exp(l_i - l_max) = weight_i >= min_p.
    std::size_t kept = 0;
    for (std::size_t k = 0; k < count; ++k)
      if (weight_[static_cast<std::size_t>(index_[k])] >= options_.min_p) index_[kept++] = index_[k];
    count = std::max<std::size_t>(kept, 1);  // the maximum always passes; guard anyway
  }

  total = 0;
  for (std::size_t k = 0; k < count; ++k) total += weight_[static_cast<std::size_t>(index_[k])];
  const double u = next_unit() * total;
  double acc = 0;
  for (std::size_t k = 0; k < count; ++k) {
    acc += weight_[static_cast<std::size_t>(index_[k])];
    if (u < acc) return index_[k];
  }
  return index_[count - 1];  // rounding: u landed at the very top
}

}  // namespace linnet
