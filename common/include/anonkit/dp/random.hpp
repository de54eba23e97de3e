// Randomness for differential privacy: uniform integers from a cryptographic source (OpenSSL
// RAND_bytes, buffered per thread), behind an interface so tests can inject a seeded source.
#pragma once

#include <cstdint>

namespace anonkit::dp {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // 64 uniformly random bits.
  virtual std::uint64_t bits64() = 0;
  // Uniform in [0, bound), bound >= 1, without modulo bias (rejection sampling).
  std::uint64_t uniform(std::uint64_t bound);
  // Bernoulli(numerator / denominator), exactly; 0 <= numerator <= denominator, denominator >= 1.
  bool bernoulli(std::uint64_t numerator, std::uint64_t denominator);
};

// OpenSSL's CSPRNG (RAND_bytes). Never rand(), mt19937 or random(). Thread-safe: each thread
// keeps its own buffer.
class SecureRandom final : public RandomSource {
 public:
  std::uint64_t bits64() override;
  static SecureRandom& instance();
};

// splitmix64: deterministic, for tests and benchmarks only.
class SeededRandom final : public RandomSource {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
  std::uint64_t bits64() override;

 private:
  std::uint64_t state_;
};

}  // namespace anonkit::dp
