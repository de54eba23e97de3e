// CKS20 Algorithms 1 and 2, written from the paper, in 64/128-bit integer arithmetic.
#include "anonkit/dp/discrete_laplace.hpp"

#include <fmt/format.h>

#include <cmath>

#include "anonkit/error.hpp"

namespace anonkit::dp {
namespace {
__extension__ typedef unsigned __int128 u128;
}  // namespace

Scale scale_at_least(double scale) {
  if (!std::isfinite(scale) || !(scale > 0) || scale > 4503599627370496.0)  // 2^52
    throw InvalidArgument(fmt::format(
        "anonkit: the noise scale must be a positive number up to 2^52, got {}", scale));
  // scale = mantissa * 2^exponent exactly; keep 52 bits so t and s stay below 2^62.
  int exponent = 0;
  const double mantissa = std::frexp(scale, &exponent);  // in [0.5, 1)
  const double scaled = std::ldexp(mantissa, 52);
  auto t = static_cast<std::uint64_t>(std::ceil(scaled));  // rounding up: never less noise
  int shift = 52 - exponent;                               // scale = t / 2^shift
  if (shift < 0) {
    t <<= -shift;
    shift = 0;
  }
  if (shift > 61)
    throw InvalidArgument(fmt::format(
        "anonkit: the noise scale {} is too small to sample exactly (below 2^-9); epsilon is "
        "absurdly large",
        scale));
  std::uint64_t s = std::uint64_t{1} << shift;
  // Reduce the fraction (both stay exact).
  while (s > 1 && (t & 1) == 0) t >>= 1, s >>= 1;
  return {t, s};
}

namespace {

// Bernoulli(exp(-r/d)) for r/d in [0, 1]: draw A_k ~ Bernoulli(r/(d k)) for k = 1, 2, ... until one
// fails; the result is whether that k is odd.
bool bernoulli_exp_unit(RandomSource& rng, std::uint64_t r, std::uint64_t d) {
  std::uint64_t k = 1;
  while (true) {
    const u128 denominator = static_cast<u128>(d) * k;
    // d * k beyond 64 bits: Bernoulli(r/d) and Bernoulli(1/k) together are Bernoulli(r/(d k)).
    const bool a = denominator <= UINT64_MAX
                       ? rng.bernoulli(r, static_cast<std::uint64_t>(denominator))
                       : rng.bernoulli(r, d) && rng.bernoulli(1, k);
    if (!a) break;
    ++k;
  }
  return (k % 2) == 1;
}

}  // namespace

bool bernoulli_exp(RandomSource& rng, std::uint64_t n, std::uint64_t d) {
  // exp(-n/d) = exp(-1)^floor(n/d) * exp(-(n mod d)/d).
  for (std::uint64_t i = 0; i < n / d; ++i)
    if (!bernoulli_exp_unit(rng, 1, 1)) return false;
  return bernoulli_exp_unit(rng, n % d, d);
}

std::int64_t discrete_laplace(RandomSource& rng, Scale scale) {
  const std::uint64_t t = scale.t, s = scale.s;
  while (true) {
    const std::uint64_t u = rng.uniform(t);
    if (!bernoulli_exp(rng, u, t)) continue;
    std::uint64_t v = 0;
    while (bernoulli_exp(rng, 1, 1)) ++v;
    const u128 x = static_cast<u128>(u) + static_cast<u128>(t) * v;
    const u128 y = x / s;
    const bool negative = rng.bernoulli(1, 2);
    if (negative && y == 0) continue;
    if (y > static_cast<u128>(INT64_MAX)) continue;  // beyond any usable range
    const auto magnitude = static_cast<std::int64_t>(y);
    return negative ? -magnitude : magnitude;
  }
}

}  // namespace anonkit::dp
