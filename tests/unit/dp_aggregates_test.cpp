// DP count, sum and mean: exact answers with injected zero noise, the grid invariant, argument
// checks, and an approximate-DP check in the style of Google's statistical tester (neighbouring
// datasets, one row added, incl. a far out-of-bounds value) with negative controls that must fail.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "anonkit/dp/aggregates.hpp"
#include "anonkit/error.hpp"

namespace anonkit::dp {
namespace {

const Noise kZero = [](Scale) -> std::int64_t { return 0; };

TEST(DpAggregates, ZeroNoiseGivesTheClampedAnswer) {
  BoundedSum sum(0, 10, 1.0, true);
  for (const double v : std::vector<double>{1.0, 2.0, 3.0, 1000.0, -5.0, NAN}) sum.add(v);
  EXPECT_EQ(sum.release(kZero), 16.0);  // 1 + 2 + 3 + 10 (clamped) + 0 (clamped); NaN skipped

  BoundedMean mean(0, 100, 1.0);
  for (const double v : {10.0, 20.0, 30.0}) mean.add(v);
  EXPECT_DOUBLE_EQ(mean.release(kZero), 20.0);
  EXPECT_DOUBLE_EQ(BoundedMean(0, 1, 1.0).release(kZero), 0.5);  // no values: still a release

  Count count(1.0);
  for (int i = 0; i < 7; ++i) count.add();
  EXPECT_EQ(count.release(kZero), 7);
  EXPECT_EQ(Count(1.0).release([](Scale) -> std::int64_t { return -5; }), 0);  // never negative
}

TEST(DpAggregates, ReleasedSumsAreMultiplesOfTheGrid) {
  BoundedSum sum(-3.7, 12.25, 0.3, false);
  for (int i = 0; i < 1000; ++i) sum.add(i * 0.013 - 2);
  const double g = sum.grid();
  EXPECT_EQ(g, std::exp2(std::round(std::log2(g))));  // a power of two
  for (int i = 0; i < 1000; ++i) {
    const double r = sum.release(secure_noise());
    EXPECT_EQ(std::fmod(r, g), 0.0) << r;
  }
  BoundedSum integral(0, 100, 2.0, true);
  integral.add(41);
  EXPECT_GE(integral.grid(), 1.0);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(std::fmod(integral.release(secure_noise()), 1.0), 0.0);
}

TEST(DpAggregates, ArgumentsAreChecked) {
  EXPECT_THROW(Count(0), InvalidArgument);
  EXPECT_THROW(Count(-1), InvalidArgument);
  EXPECT_THROW(Count(NAN), InvalidArgument);
  EXPECT_THROW(Count(1e-9), InvalidArgument);
  EXPECT_THROW(BoundedSum(5, 5, 1, false), InvalidArgument);
  EXPECT_THROW(BoundedSum(6, 5, 1, false), InvalidArgument);
  EXPECT_THROW(BoundedSum(0, INFINITY, 1, false), InvalidArgument);
  EXPECT_THROW(BoundedMean(0, 1, 1000), InvalidArgument);
}

// Pure epsilon-DP check on events {output <= t} and {output > t}: P_D(E) <= e^eps P_D'(E) + tol
// both ways. 100,000 runs per dataset; tol = 0.01 is over 6 standard errors of each estimate, so a
// correct mechanism fails by chance with probability below 1e-8 over all events checked.
using Mechanism = std::function<double(const std::vector<double>&)>;

bool looks_private(const Mechanism& m, const std::vector<double>& d, const std::vector<double>& d2,
                   double epsilon, const std::vector<double>& thresholds) {
  constexpr int kRuns = 100000;
  std::vector<double> a(kRuns), b(kRuns);
  for (int i = 0; i < kRuns; ++i) a[i] = m(d), b[i] = m(d2);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  auto below = [](const std::vector<double>& v, double t) {
    return static_cast<double>(std::upper_bound(v.begin(), v.end(), t) - v.begin()) / v.size();
  };
  const double bound = std::exp(epsilon);
  for (const double t : thresholds) {
    const double pa = below(a, t), pb = below(b, t);
    if (pa > bound * pb + 0.01 || pb > bound * pa + 0.01) return false;
    if (1 - pa > bound * (1 - pb) + 0.01 || 1 - pb > bound * (1 - pa) + 0.01) return false;
  }
  return true;
}

TEST(DpAggregates, NeighbouringDatasetsStayWithinEpsilon) {
  const double epsilon = 0.5;
  const std::vector<double> d(20, 5.0);
  std::vector<double> d2 = d;
  d2.push_back(1e9);  // far out of bounds: clamping must neutralise it
  std::vector<double> thresholds;
  for (double t = 40; t <= 170; t += 10) thresholds.push_back(t);

  const Mechanism sum = [&](const std::vector<double>& rows) {
    BoundedSum s(0, 10, epsilon, true);
    for (const double v : rows) s.add(v);
    return s.release(secure_noise());
  };
  EXPECT_TRUE(looks_private(sum, d, d2, epsilon, thresholds));

  // Negative controls: the same check must reject a mechanism without clamping, and one with
  // half the noise.
  const Mechanism unclamped = [&](const std::vector<double>& rows) {
    double total = 0;
    for (const double v : rows) total += v;
    return total + static_cast<double>(
                       discrete_laplace(SecureRandom::instance(), scale_at_least(10 / epsilon)));
  };
  EXPECT_FALSE(looks_private(unclamped, d, d2, epsilon, thresholds));
  const Mechanism half_noise = [&](const std::vector<double>& rows) {
    BoundedSum s(0, 10, epsilon, true);
    for (const double v : rows) s.add(v);
    return s.release([](Scale sc) {
      return discrete_laplace(SecureRandom::instance(), Scale{sc.t, sc.s * 2});
    });
  };
  EXPECT_FALSE(looks_private(half_noise, d, d2, epsilon, thresholds));
}

TEST(DpAggregates, MeanStaysWithinEpsilon) {
  // Google's BoundedMean over neighbouring datasets (a far out-of-bounds row added), and the same
  // construction with half the noise, which the check must reject.
  const double epsilon = 1.0;
  const std::vector<double> d(4, 0.0);
  std::vector<double> d2 = d;
  d2.push_back(1e12);
  std::vector<double> thresholds;
  for (double t = 0; t <= 40; t += 2.5) thresholds.push_back(t);
  const auto mean_with = [&](Noise noise) {
    return Mechanism([&, noise](const std::vector<double>& rows) {
      BoundedMean m(0, 100, epsilon);
      for (const double v : rows) m.add(v);
      return m.release(noise);
    });
  };
  EXPECT_TRUE(looks_private(mean_with(secure_noise()), d, d2, epsilon, thresholds));
  const Noise half = [](Scale sc) {
    return discrete_laplace(SecureRandom::instance(), Scale{sc.t, sc.s * 2});
  };
  EXPECT_FALSE(looks_private(mean_with(half), d, d2, epsilon, thresholds));
}

TEST(DpAggregates, NAsPublicMeanIsRejected) {
  // diffprivlib's construction: noise of scale (upper - lower) / (n epsilon) with n read from the
  // data as if it were public. Adding one row changes n and so the noise scale; in the lower tail
  // the ratio of probabilities reaches e^(1 + t/100) > e^epsilon. The check must catch it, while
  // Google's BoundedMean passes the same check.
  const double epsilon = 1.0;
  const std::vector<double> d(4, 0.0);
  std::vector<double> d2 = d;
  d2.push_back(100.0);
  std::vector<double> thresholds;
  for (double t = -100; t <= 100; t += 10) thresholds.push_back(t);
  const Mechanism n_public = [&](const std::vector<double>& rows) {
    double total = 0;
    for (const double v : rows) total += std::clamp(v, 0.0, 100.0);
    const double n = static_cast<double>(rows.size());
    const double scale = 100.0 / n / epsilon;
    // Discrete Laplace on a 1/1024 grid: the continuous mechanism, sampled exactly.
    const double noise = static_cast<double>(discrete_laplace(SecureRandom::instance(),
                                                              scale_at_least(scale * 1024))) /
                         1024;
    return total / n + noise;
  };
  EXPECT_FALSE(looks_private(n_public, d, d2, epsilon, thresholds));
  const Mechanism google = [&](const std::vector<double>& rows) {
    BoundedMean m(0, 100, epsilon);
    for (const double v : rows) m.add(v);
    return m.release(secure_noise());
  };
  EXPECT_TRUE(looks_private(google, d, d2, epsilon, thresholds));
}

}  // namespace
}  // namespace anonkit::dp
