// The exact discrete Laplace sampler of Canonne, Kamath and Steinke (2020), "The Discrete Gaussian
// for Differential Privacy", Algorithm 2: integer arithmetic and exact Bernoulli trials only, so no
// floating-point artefact (Mironov 2012) can leak the true value.
#pragma once

#include <cstdint>

#include "anonkit/dp/random.hpp"

namespace anonkit::dp {

// The scale as an exact fraction t / s: P(x) is proportional to exp(-|x| * s / t).
struct Scale {
  std::uint64_t t;  // numerator, >= 1, < 2^62
  std::uint64_t s;  // denominator, >= 1, < 2^62
};

// The smallest fraction with a power-of-two denominator that is >= `scale` (never less noise than
// asked for). Throws InvalidArgument for a scale that is not finite and positive, or above 2^52.
[[nodiscard]] Scale scale_at_least(double scale);

// Bernoulli(exp(-n/d)) exactly (CKS20 Algorithm 1), n >= 0, d >= 1.
[[nodiscard]] bool bernoulli_exp(RandomSource& rng, std::uint64_t n, std::uint64_t d);

// One sample of the discrete Laplace distribution with the given scale.
[[nodiscard]] std::int64_t discrete_laplace(RandomSource& rng, Scale scale);

}  // namespace anonkit::dp
