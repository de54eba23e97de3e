// Count, BoundedSum, BoundedMean. Every released sum is a multiple of its grid; the mean is a
// post-processing of a noisy sum and a noisy count, so it costs no further privacy.
#include "anonkit/dp/aggregates.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "anonkit/error.hpp"

namespace anonkit::dp {

Noise secure_noise() {
  return [](Scale scale) { return discrete_laplace(SecureRandom::instance(), scale); };
}

void validate_epsilon(double epsilon) {
  if (!std::isfinite(epsilon) || epsilon < 1e-6 || epsilon > 100)
    throw InvalidArgument(
        fmt::format("anonkit: epsilon must be a number from 0.000001 to 100, got {}", epsilon));
}

void validate_bounds(double lower, double upper) {
  if (!std::isfinite(lower) || !std::isfinite(upper) || !(lower < upper) ||
      std::max(std::fabs(lower), std::fabs(upper)) > 1e15)
    throw InvalidArgument(fmt::format(
        "anonkit: bounds must be finite numbers with lower < upper and |bound| <= 1e15, got "
        "lower={} upper={}",
        lower, upper));
}

double grid_for(double sensitivity, double epsilon) {
  const double target = sensitivity / epsilon / 1099511627776.0;  // 2^40
  const double grid = std::exp2(std::ceil(std::log2(target)));
  // Bounds so small that the grid leaves the normal range ([0, 1e-300]) would be summed on
  // subnormal numbers, where multiplying by the inverse is no longer exact.
  if (!std::isnormal(grid) || grid < 0x1p-960 || !std::isnormal(1.0 / grid))
    throw InvalidArgument(fmt::format(
        "anonkit: bounds and epsilon give a noise grid of {} (below 2^-960): expected bounds "
        "whose larger magnitude is at least 1e-250",
        grid));
  return grid;
}

Count::Count(double epsilon) : epsilon_(epsilon) { validate_epsilon(epsilon); }

std::int64_t Count::release(const Noise& noise) const {
  return std::max<std::int64_t>(0, n_ + noise(scale_at_least(1.0 / epsilon_)));
}

BoundedSum::BoundedSum(double lower, double upper, double epsilon, bool integral)
    : lower_(lower), upper_(upper) {
  validate_epsilon(epsilon);
  validate_bounds(lower, upper);
  const double sensitivity = std::max(std::fabs(lower), std::fabs(upper));
  grid_ = grid_for(sensitivity, epsilon);
  if (integral) grid_ = std::max(grid_, 1.0);
  inverse_grid_ = 1.0 / grid_;  // exact: a power of two
  // In grid units one row moves the sum by at most ceil(sensitivity / grid).
  scale_ = scale_at_least(std::ceil(sensitivity / grid_) / epsilon);
}

double BoundedSum::release(const Noise& noise) const {
  const auto noisy = units_ + noise(scale_);
  double result = static_cast<double>(noisy) * grid_;
  // Post-processing into the range a sum of such values can have.
  if (lower_ >= 0) result = std::max(result, 0.0);
  if (upper_ <= 0) result = std::min(result, 0.0);
  return result;
}

BoundedMean::BoundedMean(double lower, double upper, double epsilon)
    : lower_(lower), upper_(upper), midpoint_(lower + (upper - lower) / 2) {
  validate_epsilon(epsilon);
  validate_bounds(lower, upper);
  const double half = (upper - lower) / 2;
  grid_ = grid_for(half, epsilon / 2);
  inverse_grid_ = 1.0 / grid_;
  sum_scale_ = scale_at_least(std::ceil(half / grid_) / (epsilon / 2));
  count_scale_ = scale_at_least(2.0 / epsilon);
}

double BoundedMean::release(const Noise& noise) const {
  // With no values the noisy count is max(1, noise) and the noisy sum pure noise: a value is still
  // released, because "no values" is itself something the group must not reveal.
  const double noisy_count = std::max<double>(1.0, static_cast<double>(n_ + noise(count_scale_)));
  const double noisy_sum = static_cast<double>(units_ + noise(sum_scale_)) * grid_;
  return std::clamp(midpoint_ + noisy_sum / noisy_count, lower_, upper_);
}

}  // namespace anonkit::dp
