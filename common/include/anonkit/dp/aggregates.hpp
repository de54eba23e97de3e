// Differentially private count, bounded sum and bounded mean (the constructions of Google's
// differential-privacy library: Count, BoundedSum, BoundedMean). Values are clamped to the bounds,
// quantized to a power-of-two grid and summed exactly in 128 bits, so row order and floating-point
// rounding cannot be exploited; noise is exact discrete Laplace on that grid.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>

#include "anonkit/dp/discrete_laplace.hpp"

namespace anonkit::dp {

// Draws one discrete Laplace sample of the given scale. Tests inject a zero or seeded source.
using Noise = std::function<std::int64_t(Scale)>;
[[nodiscard]] Noise secure_noise();

// Throw InvalidArgument ("anonkit: ... expected ...") for epsilon outside [1e-6, 100] or not
// finite, bounds not finite or lower >= upper.
void validate_epsilon(double epsilon);
void validate_bounds(double lower, double upper);

// The smallest power of two >= (sensitivity / epsilon) / 2^40: noise keeps 40 bits of resolution.
[[nodiscard]] double grid_for(double sensitivity, double epsilon);

// Rounds value / grid to the nearest grid unit, half away from zero. The grid is a power of two, so
// multiplying by its inverse is exact. Inline: it runs once per row.
[[nodiscard]] inline std::int64_t to_units(double value, double inverse_grid) noexcept {
  const double units = value * inverse_grid;
  return static_cast<std::int64_t>(units + std::copysign(0.5, units));  // branch-free
}

class Count {
 public:
  explicit Count(double epsilon);
  void add() noexcept { ++n_; }
  // max(0, n + DLap(1/epsilon)).
  [[nodiscard]] std::int64_t release(const Noise& noise) const;
  [[nodiscard]] std::int64_t raw() const noexcept { return n_; }

 private:
  double epsilon_;
  std::int64_t n_ = 0;
};

class BoundedSum {
 public:
  // Sensitivity max(|lower|, |upper|). `integral`: the column and bounds are integers, so the grid
  // is at least 1 and the result an integer.
  BoundedSum(double lower, double upper, double epsilon, bool integral);
  void add(double value) noexcept {  // NaN is skipped; everything else clamped
    if (!std::isnan(value)) units_ += to_units(std::clamp(value, lower_, upper_), inverse_grid_);
  }
  [[nodiscard]] double release(const Noise& noise) const;
  [[nodiscard]] double grid() const noexcept { return grid_; }

 private:
  double lower_, upper_, grid_, inverse_grid_;
  Scale scale_;
  __extension__ __int128 units_ = 0;
};

class BoundedMean {
 public:
  // Half the budget for the count, half for the sum of values centred on the midpoint.
  BoundedMean(double lower, double upper, double epsilon);
  void add(double value) noexcept {
    if (std::isnan(value)) return;
    units_ += to_units(std::clamp(value, lower_, upper_) - midpoint_, inverse_grid_);
    ++n_;
  }
  // clamp(m + S'/max(1, N'), lower, upper), also when no value was added.
  [[nodiscard]] double release(const Noise& noise) const;
  [[nodiscard]] std::int64_t count() const noexcept { return n_; }

 private:
  double lower_, upper_, midpoint_, grid_, inverse_grid_;
  Scale sum_scale_, count_scale_;
  __extension__ __int128 units_ = 0;
  std::int64_t n_ = 0;
};

}  // namespace anonkit::dp
