// Uniform integers and exact Bernoulli trials over 64-bit random words.
#include "anonkit/dp/random.hpp"

#include <openssl/rand.h>

#include <array>
#include <new>

#include "anonkit/error.hpp"

namespace anonkit::dp {

std::uint64_t RandomSource::uniform(std::uint64_t bound) {
  if (bound <= 1) return 0;
  // Reject the top partial range so every value is equally likely.
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound + 1) % bound;
  std::uint64_t x;
  do x = bits64();
  while (x > limit);
  return x % bound;
}

bool RandomSource::bernoulli(std::uint64_t numerator, std::uint64_t denominator) {
  return uniform(denominator) < numerator;
}

std::uint64_t SecureRandom::bits64() {
  // 4 KiB refills: one RAND_bytes call per 512 words.
  thread_local std::array<std::uint64_t, 512> buffer;
  thread_local std::size_t next = buffer.size();
  if (next == buffer.size()) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(buffer.data()),
                   static_cast<int>(sizeof buffer)) != 1)
      throw Error("anonkit: the cryptographic random source (RAND_bytes) failed");
    next = 0;
  }
  const std::uint64_t value = buffer[next];
  buffer[next++] = 0;  // a used word is not kept
  return value;
}

SecureRandom& SecureRandom::instance() {
  static SecureRandom source;
  return source;
}

std::uint64_t SeededRandom::bits64() {
  std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace anonkit::dp
