// The discrete Laplace sampler, run on the real cryptographic source. Statistical assertions use
// fixed sample sizes and thresholds derived from the distribution; each states its false-failure
// rate. Negative controls (a sampler with half the noise) must be rejected by the same tests.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "anonkit/dp/discrete_laplace.hpp"
#include "anonkit/error.hpp"

namespace anonkit::dp {
namespace {

constexpr int kSamples = 1'000'000;

TEST(DiscreteLaplace, ScaleIsExactOrRoundedUp) {
  const Scale two = scale_at_least(2.0);
  EXPECT_EQ(two.t, 2u);
  EXPECT_EQ(two.s, 1u);
  for (const double x : {0.1, 1.0 / 3.0, 3.7, 1e6, 1099511627776.0 / 3.0}) {
    const Scale sc = scale_at_least(x);
    const long double ratio = static_cast<long double>(sc.t) / sc.s;
    EXPECT_GE(ratio, static_cast<long double>(x)) << x;
    EXPECT_LT((ratio - x) / x, 1e-15L) << x;
  }
  for (const double bad : std::vector<double>{0.0, -1.0, INFINITY, NAN, 1e20, 1e-5})
    EXPECT_THROW((void)scale_at_least(bad), InvalidArgument) << bad;
}

TEST(DiscreteLaplace, BernoulliExpFrequency) {
  // p = e^-0.5; 10^6 trials: sd = 4.9e-4; |error| < 5 sd fails by chance with probability 5.7e-7.
  auto& rng = SecureRandom::instance();
  int hits = 0;
  for (int i = 0; i < kSamples; ++i) hits += bernoulli_exp(rng, 1, 2);
  const double p = std::exp(-0.5);
  const double sd = std::sqrt(p * (1 - p) / kSamples);
  EXPECT_LT(std::fabs(static_cast<double>(hits) / kSamples - p), 5 * sd);
}

// Chi-square statistic of `samples` against the discrete Laplace pmf of scale b, over the bins
// -K..K plus the two tails.
double chi_square(const std::vector<std::int64_t>& samples, double b, int k, int& df) {
  const double q = std::exp(-1.0 / b);
  std::vector<double> observed(2 * k + 3, 0.0);
  for (const std::int64_t x : samples) {
    const std::int64_t bin = x < -k ? 0 : x > k ? 2 * k + 2 : x + k + 1;
    observed[static_cast<std::size_t>(bin)] += 1;
  }
  const double n = static_cast<double>(samples.size());
  double chi = 0;
  for (int bin = 0; bin < 2 * k + 3; ++bin) {
    double p;
    if (bin == 0 || bin == 2 * k + 2)
      p = q * std::pow(q, k) / (1 + q);  // P(X > K) = q^(K+1) / (1+q)
    else
      p = (1 - q) / (1 + q) * std::pow(q, std::abs(bin - k - 1));
    const double expected = n * p;
    chi += (observed[static_cast<std::size_t>(bin)] - expected) *
           (observed[static_cast<std::size_t>(bin)] - expected) / expected;
  }
  df = 2 * k + 2;
  return chi;
}

// Upper critical value of chi-square with `df` degrees of freedom at significance 1e-5
// (Wilson-Hilferty; z = 4.265 is the standard normal's 1 - 1e-5 quantile).
double chi_square_critical(int df) {
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1 - a + 4.265 * std::sqrt(a), 3);
}

std::vector<std::int64_t> draw(double b) {
  auto& rng = SecureRandom::instance();
  const Scale scale = scale_at_least(b);
  std::vector<std::int64_t> out(kSamples);
  for (auto& x : out) x = discrete_laplace(rng, scale);
  return out;
}

TEST(DiscreteLaplace, MatchesTheExactPmf) {
  // b = 3: bins -30..30 and two tails (each expecting ~19 samples); df = 62. The test fails by
  // chance with probability 1e-5.
  const double b = 3.0;
  const auto samples = draw(b);
  int df = 0;
  const double chi = chi_square(samples, b, 30, df);
  EXPECT_LT(chi, chi_square_critical(df)) << "chi-square " << chi << " df " << df;

  // Mean 0 and variance 2q/(1-q)^2 (the discrete form of 2b^2). Mean: 5 sd, false failure 5.7e-7.
  // Variance: sd of the sample variance is about sqrt(5/n) sigma^2 (kurtosis 6), so a 2% band is
  // ~9 sd: false failure below 1e-15.
  const double q = std::exp(-1.0 / b);
  const double variance = 2 * q / ((1 - q) * (1 - q));
  double sum = 0, sum_sq = 0;
  for (const auto x : samples) sum += static_cast<double>(x), sum_sq += static_cast<double>(x) * x;
  const double mean = sum / kSamples;
  EXPECT_LT(std::fabs(mean), 5 * std::sqrt(variance / kSamples));
  EXPECT_NEAR(sum_sq / kSamples - mean * mean, variance, 0.02 * variance);
}

TEST(DiscreteLaplace, NegativeControlHalfTheNoiseIsRejected) {
  // The same chi-square test, fed a sampler with half the scale, must fail: it shows the test can.
  const auto weak = draw(1.5);
  int df = 0;
  const double chi = chi_square(weak, 3.0, 30, df);
  EXPECT_GT(chi, chi_square_critical(df)) << "a broken sampler passed: chi-square " << chi;
}

TEST(DiscreteLaplace, LargeScalesStayExact) {
  // The grid keeps scales near 2^40; samples must stay symmetric and finite there too.
  auto& rng = SecureRandom::instance();
  const Scale scale = scale_at_least(1099511627776.0 * 0.75);
  int negative = 0;
  for (int i = 0; i < 20000; ++i) negative += discrete_laplace(rng, scale) < 0;
  // Binomial(20000, ~0.5): sd 70.7; 6 sd band, false failure ~2e-9.
  EXPECT_NEAR(negative, 10000, 425);
}

}  // namespace
}  // namespace anonkit::dp
