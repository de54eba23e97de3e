// NIST SP 800-38G FF1 format-preserving encryption over AES (128, 192 or 256-bit keys), any radix
// 2..65536, numeral strings of 2..kMaxLength numerals. Big-number arithmetic by OpenSSL BIGNUM.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace anonkit::pseudo {

class Ff1 {
 public:
  static constexpr std::size_t kMaxLength = 4096;

  // Throws InvalidArgument for a key that is not 16, 24 or 32 bytes or a radix outside 2..65536.
  Ff1(std::span<const std::uint8_t> key, std::uint32_t radix);
  ~Ff1();
  Ff1(const Ff1&) = delete;
  Ff1& operator=(const Ff1&) = delete;

  // Numerals are values 0..radix-1. Throws InvalidArgument when radix^length < 1,000,000 (SP
  // 800-38G Rev. 1's minimum domain), the length exceeds kMaxLength, or a numeral is out of range.
  [[nodiscard]] std::vector<std::uint32_t> encrypt(std::span<const std::uint32_t> numerals,
                                                   std::span<const std::uint8_t> tweak = {}) const;
  [[nodiscard]] std::vector<std::uint32_t> decrypt(std::span<const std::uint32_t> numerals,
                                                   std::span<const std::uint8_t> tweak = {}) const;
  [[nodiscard]] std::uint32_t radix() const noexcept { return radix_; }

 private:
  std::vector<std::uint32_t> run(std::span<const std::uint32_t> x, std::span<const std::uint8_t> t,
                                 bool encrypt) const;
  struct Cipher;
  std::unique_ptr<Cipher> cipher_;
  std::uint32_t radix_;
};

}  // namespace anonkit::pseudo
