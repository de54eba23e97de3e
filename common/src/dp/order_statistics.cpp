// The quantile tree and the bounded variance. Noise is added to integers only (node counts, grid
// units); everything after that is post-processing of released values and costs no privacy.
#include "anonkit/dp/order_statistics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <numeric>

#include "anonkit/error.hpp"

namespace anonkit::dp {
namespace {

__extension__ typedef __int128 i128;

constexpr int kHeight = BoundedQuantiles::kHeight;
constexpr std::uint32_t kBranching = BoundedQuantiles::kBranching;

// Leaves under one node at `depth`: kBranching ^ (kHeight - depth).
constexpr std::uint32_t leaves_under(int depth) {
  std::uint32_t n = 1;
  for (int d = depth; d < kHeight; ++d) n *= kBranching;
  return n;
}

// Nodes numbered level by level from the root (0); a node is (depth, index within its level).
constexpr std::uint32_t node_id(int depth, std::uint32_t index) {
  std::uint32_t first = 0, width = 1;
  for (int d = 0; d < depth; ++d) first += width, width *= kBranching;
  return first + index;
}

static_assert(leaves_under(0) == BoundedQuantiles::kLeaves);

void validate_range(double lower, double upper) {
  if (!std::isfinite(upper - lower))
    throw InvalidArgument(fmt::format(
        "anonkit: upper - lower must be a finite number, got lower={} upper={}", lower, upper));
}

// A grid (or a leaf's resolution) below the smallest normal double would be computed in subnormal
// arithmetic: imprecise and slow, and its inverse would overflow.
void require_normal(double resolution, double lower, double upper, const char* what) {
  if (!std::isnormal(resolution))
    throw InvalidArgument(fmt::format(
        "anonkit: bounds lower={} upper={} are too close together for {}; expected bounds whose "
        "resolution is a normal number, got {}",
        lower, upper, what, resolution));
}

std::int64_t noisy_value(i128 exact, std::int64_t noise) {
  const i128 noisy = exact + noise;
  return static_cast<std::int64_t>(
      std::clamp<i128>(noisy, 0, std::numeric_limits<std::int64_t>::max()));
}

}  // namespace

void validate_quantile(double q) {
  if (!(q >= 0 && q <= 1))  // also false for NaN
    throw InvalidArgument(
        fmt::format("anonkit: the quantile must be a number from 0 to 1, got {}", q));
}

BoundedQuantiles::BoundedQuantiles(double lower, double upper, double epsilon)
    : lower_(lower), upper_(upper) {
  validate_epsilon(epsilon);
  validate_bounds(lower, upper);
  validate_range(lower, upper);
  // A value's position inside its leaf keeps full double precision (52 bits below the width).
  require_normal(std::ldexp((upper - lower) / kLeaves, -52), lower, upper, "a quantile tree");
  leaves_per_unit_ = kLeaves / (upper - lower);
  scale_ = scale_at_least(kHeight / epsilon);
}

void BoundedQuantiles::throw_frozen() {
  throw Error(
      "anonkit: a quantile tree takes no values after it released a quantile; expected every "
      "value to be added first");
}

void BoundedQuantiles::freeze() {
  frozen_ = true;
  std::vector<std::pair<std::uint32_t, std::int64_t>> leaves(leaf_counts_.begin(),
                                                             leaf_counts_.end());
  std::sort(leaves.begin(), leaves.end());
  sorted_leaves_.reserve(leaves.size());
  leaves_before_.reserve(leaves.size() + 1);
  leaves_before_.push_back(0);
  for (const auto& [leaf, count] : leaves) {
    sorted_leaves_.push_back(leaf);
    leaves_before_.push_back(leaves_before_.back() + count);
  }
  std::unordered_map<std::uint32_t, std::int64_t>().swap(leaf_counts_);  // frees its memory
}

std::int64_t BoundedQuantiles::leaves_count(std::uint32_t first, std::uint32_t last) const {
  const auto at = [&](std::uint32_t leaf) {
    return std::lower_bound(sorted_leaves_.begin(), sorted_leaves_.end(), leaf) -
           sorted_leaves_.begin();
  };
  return leaves_before_[at(last)] - leaves_before_[at(first)];
}

std::int64_t BoundedQuantiles::noisy_count(int depth, std::uint32_t index, const Noise& noise) {
  const std::uint32_t id = node_id(depth, index);
  if (const auto it = noisy_.find(id); it != noisy_.end()) return it->second;
  const std::uint32_t span = leaves_under(depth);
  const std::int64_t exact = leaves_count(index * span, (index + 1) * span);
  return noisy_[id] = noisy_value(exact, noise(scale_));
}

double BoundedQuantiles::walk(double q, const Noise& noise) {
  q = std::clamp(q, 0.005, 0.995);
  int depth = 0;
  std::uint32_t index = 0;
  while (depth < kHeight) {
    double counts[kBranching];
    double total = 0;
    for (std::uint32_t j = 0; j < kBranching; ++j)
      total += counts[j] =
          static_cast<double>(noisy_count(depth + 1, index * kBranching + j, noise));
    if (total <= 0) break;  // every child looks empty: interpolate over this node
    double kept = 0;
    for (double& c : counts) {
      if (c < total * kAlpha) c = 0;
      kept += c;
    }
    if (kept <= 0) break;  // unreachable while kAlpha < 1 / kBranching; kept for safety
    // The first kept child whose cumulative count reaches the rank; the last kept one when rounding
    // puts the rank beyond them all.
    const double rank = q * kept;
    double before = 0;
    std::uint32_t chosen = kBranching;
    for (std::uint32_t j = 0; j < kBranching; ++j) {
      if (counts[j] == 0) continue;
      if (chosen != kBranching) before += counts[chosen];
      chosen = j;
      if (rank <= before + counts[j]) break;
    }
    q = std::clamp((rank - before) / counts[chosen], 0.0, 1.0);
    ++depth;
    index = index * kBranching + chosen;
  }
  const double span = leaves_under(depth);
  const double range = upper_ - lower_;
  const double low = lower_ + range * (index * span / kLeaves);
  const double high = lower_ + range * ((index + 1) * span / kLeaves);
  return std::clamp(low + q * (high - low), lower_, upper_);
}

double BoundedQuantiles::quantile(double q, const Noise& noise) {
  validate_quantile(q);
  if (!frozen_) freeze();
  return walk(q, noise);
}

std::vector<double> BoundedQuantiles::quantiles(std::span<const double> qs, const Noise& noise) {
  for (const double q : qs) validate_quantile(q);  // before any noise is drawn
  if (!frozen_) freeze();
  // The walk is already monotone in q for one noisy tree; the running maximum over ascending q
  // makes that explicit against any rounding.
  std::vector<std::size_t> order(qs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return qs[a] < qs[b]; });
  std::vector<double> result(qs.size());
  double floor = lower_;
  for (const std::size_t i : order) floor = result[i] = std::max(floor, walk(qs[i], noise));
  return result;
}

BoundedVariance::BoundedVariance(double lower, double upper, double epsilon)
    : lower_(lower), upper_(upper) {
  validate_epsilon(epsilon);
  validate_bounds(lower, upper);
  validate_range(lower, upper);
  half_ = (upper - lower) / 2;
  midpoint_ = lower + half_;
  const double part = epsilon / 3;
  const double square_sensitivity = half_ * half_;
  sum_grid_ = grid_for(half_, part);
  square_grid_ = grid_for(square_sensitivity, part);
  require_normal(sum_grid_, lower, upper, "a variance (grid of the sum)");
  require_normal(square_grid_, lower, upper, "a variance (grid of the sum of squares)");
  inverse_sum_grid_ = 1.0 / sum_grid_;  // exact: powers of two
  inverse_square_grid_ = 1.0 / square_grid_;
  count_scale_ = scale_at_least(1.0 / part);
  // In grid units one row moves a sum by at most ceil(sensitivity / grid).
  sum_scale_ = scale_at_least(std::ceil(half_ / sum_grid_) / part);
  square_scale_ = scale_at_least(std::ceil(square_sensitivity / square_grid_) / part);
}

double BoundedVariance::release(const Noise& noise) const {
  // No values: count max(1, noise) and both sums pure noise; a value is still released.
  const double n = std::max(1.0, static_cast<double>(static_cast<i128>(n_) + noise(count_scale_)));
  const double sum = static_cast<double>(sum_units_ + noise(sum_scale_)) * sum_grid_;
  const double squares = static_cast<double>(square_units_ + noise(square_scale_)) * square_grid_;
  const double mean = sum / n;
  return std::clamp(squares / n - mean * mean, 0.0, half_ * half_);
}

}  // namespace anonkit::dp
