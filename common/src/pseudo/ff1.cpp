// FF1 (NIST SP 800-38G, Algorithms 7 and 8), written from the specification. AES blocks come from
// OpenSSL's EVP (ECB, one block at a time; the PRF is CBC-MAC with a zero IV), numbers from BIGNUM.
#include "anonkit/pseudo/ff1.hpp"

#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cmath>
#include <cstring>

#include "anonkit/error.hpp"

namespace anonkit::pseudo {
namespace {

using Block = std::array<std::uint8_t, 16>;

struct BnDeleter {
  void operator()(BIGNUM* b) const noexcept { BN_clear_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;
struct CtxDeleter {
  void operator()(BN_CTX* c) const noexcept { BN_CTX_free(c); }
};

Bn bn() {
  BIGNUM* b = BN_new();
  if (b == nullptr) throw std::bad_alloc();
  return Bn(b);
}

void check(int ok) {
  if (ok != 1) throw Error("anonkit: FF1 arithmetic failed (OpenSSL BIGNUM)");
}

// NUM_radix: the numerals as a number, most significant first.
Bn num_radix(std::span<const std::uint32_t> x, std::uint32_t radix) {
  Bn n = bn();
  BN_zero(n.get());
  for (const std::uint32_t d : x) {
    check(BN_mul_word(n.get(), radix));
    check(BN_add_word(n.get(), d));
  }
  return n;
}

// STR^m_radix: `m` numerals of `value` (< radix^m), most significant first.
std::vector<std::uint32_t> str_radix(const BIGNUM* value, std::uint32_t radix, std::size_t m) {
  Bn v(BN_dup(value));
  if (!v) throw std::bad_alloc();
  std::vector<std::uint32_t> out(m);
  for (std::size_t i = m; i-- > 0;) {
    const BN_ULONG r = BN_div_word(v.get(), radix);
    if (r == static_cast<BN_ULONG>(-1)) throw Error("anonkit: FF1 arithmetic failed (div)");
    out[i] = static_cast<std::uint32_t>(r);
  }
  return out;
}

Bn power(std::uint32_t radix, std::size_t m) {
  Bn p = bn();
  check(BN_one(p.get()));
  for (std::size_t i = 0; i < m; ++i) check(BN_mul_word(p.get(), radix));
  return p;
}

}  // namespace

struct Ff1::Cipher {
  EVP_CIPHER_CTX* prototype = nullptr;
  ~Cipher() { EVP_CIPHER_CTX_free(prototype); }
};

Ff1::Ff1(std::span<const std::uint8_t> key, std::uint32_t radix)
    : cipher_(std::make_unique<Cipher>()), radix_(radix) {
  if (radix < 2 || radix > 65536)
    throw InvalidArgument(fmt::format("anonkit: FF1 radix must be 2..65536, got {}", radix));
  const EVP_CIPHER* aes = key.size() == 16   ? EVP_aes_128_ecb()
                          : key.size() == 24 ? EVP_aes_192_ecb()
                          : key.size() == 32 ? EVP_aes_256_ecb()
                                             : nullptr;
  if (aes == nullptr)
    throw InvalidArgument(
        fmt::format("anonkit: FF1 needs a 16, 24 or 32-byte AES key, got {}", key.size()));
  cipher_->prototype = EVP_CIPHER_CTX_new();
  if (cipher_->prototype == nullptr) throw std::bad_alloc();
  if (EVP_EncryptInit_ex(cipher_->prototype, aes, nullptr, key.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(cipher_->prototype, 0) != 1)
    throw Error("anonkit: AES initialisation failed");
}

Ff1::~Ff1() = default;

std::vector<std::uint32_t> Ff1::encrypt(std::span<const std::uint32_t> numerals,
                                        std::span<const std::uint8_t> tweak) const {
  return run(numerals, tweak, true);
}

std::vector<std::uint32_t> Ff1::decrypt(std::span<const std::uint32_t> numerals,
                                        std::span<const std::uint8_t> tweak) const {
  return run(numerals, tweak, false);
}

std::vector<std::uint32_t> Ff1::run(std::span<const std::uint32_t> x,
                                    std::span<const std::uint8_t> t, bool encrypting) const {
  const std::size_t n = x.size();
  if (n > kMaxLength)
    throw InvalidArgument(
        fmt::format("anonkit: FF1 input has {} numerals; at most {} are supported", n, kMaxLength));
  for (const std::uint32_t d : x)
    if (d >= radix_)
      throw InvalidArgument(
          fmt::format("anonkit: FF1 numeral {} is not below the radix {}", d, radix_));
  // SP 800-38G Rev. 1: radix^n >= 1,000,000.
  const double domain_digits = static_cast<double>(n) * std::log10(static_cast<double>(radix_));
  if (n < 2 || domain_digits < 6.0 - 1e-9)
    throw InvalidArgument(fmt::format(
        "anonkit: format-preserving encryption needs at least 1,000,000 possible values "
        "(radix^length >= 10^6, NIST SP 800-38G Rev. 1); {} characters of a {}-character alphabet "
        "give {:.0f}",
        n, radix_, std::pow(static_cast<double>(radix_), static_cast<double>(n))));

  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  if (!ctx || EVP_CIPHER_CTX_copy(ctx.get(), cipher_->prototype) != 1) throw std::bad_alloc();
  auto aes = [&](const std::uint8_t* in, std::uint8_t* out) {
    int len = 0;
    if (EVP_EncryptUpdate(ctx.get(), out, &len, in, 16) != 1 || len != 16)
      throw Error("anonkit: AES failed");
  };

  const std::size_t u = n / 2, v = n - u;
  std::vector<std::uint32_t> a(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(u));
  std::vector<std::uint32_t> b(x.begin() + static_cast<std::ptrdiff_t>(u), x.end());

  // b = ceil(ceil(v * log2(radix)) / 8) computed exactly as the byte length of radix^v - 1.
  Bn rv = power(radix_, v);
  check(BN_sub_word(rv.get(), 1));
  const std::size_t bytes_b = (static_cast<std::size_t>(BN_num_bits(rv.get())) + 7) / 8;
  const std::size_t d = 4 * ((bytes_b + 3) / 4) + 4;
  const Bn radix_u = power(radix_, u);
  const Bn radix_v = power(radix_, v);

  Block p{1,
          2,
          1,
          static_cast<std::uint8_t>(radix_ >> 16),
          static_cast<std::uint8_t>(radix_ >> 8),
          static_cast<std::uint8_t>(radix_),
          10,
          static_cast<std::uint8_t>(u % 256),
          static_cast<std::uint8_t>(n >> 24),
          static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8),
          static_cast<std::uint8_t>(n),
          static_cast<std::uint8_t>(t.size() >> 24),
          static_cast<std::uint8_t>(t.size() >> 16),
          static_cast<std::uint8_t>(t.size() >> 8),
          static_cast<std::uint8_t>(t.size())};
  // CIPH_K(P), the first CBC-MAC step, is the same in every round.
  Block after_p{};
  aes(p.data(), after_p.data());

  const std::size_t pad = (16 - (t.size() + bytes_b + 1) % 16) % 16;
  std::vector<std::uint8_t> q(t.size() + pad + 1 + bytes_b);
  std::copy(t.begin(), t.end(), q.begin());
  std::vector<std::uint8_t> s((d + 15) / 16 * 16);
  std::unique_ptr<BN_CTX, CtxDeleter> bn_ctx(BN_CTX_new());
  if (!bn_ctx) throw std::bad_alloc();
  Bn y = bn(), c = bn();

  for (int step = 0; step < 10; ++step) {
    const int i = encrypting ? step : 9 - step;
    // Encryption feeds B into the PRF and updates A; decryption the mirror image.
    std::vector<std::uint32_t>& fed = encrypting ? b : a;
    std::vector<std::uint32_t>& updated = encrypting ? a : b;
    q[t.size() + pad] = static_cast<std::uint8_t>(i);
    const Bn fed_num = num_radix(fed, radix_);
    if (BN_bn2binpad(fed_num.get(), q.data() + t.size() + pad + 1, static_cast<int>(bytes_b)) < 0)
      throw Error("anonkit: FF1 arithmetic failed (encode)");
    // R = PRF(P || Q): CBC-MAC continuing from CIPH_K(P).
    Block r = after_p;
    for (std::size_t off = 0; off < q.size(); off += 16) {
      for (std::size_t k = 0; k < 16; ++k) r[k] ^= q[off + k];
      aes(r.data(), r.data());
    }
    // S = R || CIPH(R xor [1]) || CIPH(R xor [2]) ..., its first d bytes.
    std::memcpy(s.data(), r.data(), 16);
    for (std::size_t j = 1; j * 16 < d; ++j) {
      Block block = r;
      for (std::size_t k = 0; k < 8; ++k) block[15 - k] ^= static_cast<std::uint8_t>(j >> (8 * k));
      aes(block.data(), s.data() + 16 * j);
    }
    if (BN_bin2bn(s.data(), static_cast<int>(d), y.get()) == nullptr) throw std::bad_alloc();
    const std::size_t m = i % 2 == 0 ? u : v;
    const Bn updated_num = num_radix(updated, radix_);
    if (encrypting)
      check(BN_add(c.get(), updated_num.get(), y.get()));
    else
      check(BN_sub(c.get(), updated_num.get(), y.get()));
    check(BN_nnmod(c.get(), c.get(), m == u ? radix_u.get() : radix_v.get(), bn_ctx.get()));
    std::vector<std::uint32_t> next = str_radix(c.get(), radix_, m);
    if (encrypting) {
      a = std::move(b);
      b = std::move(next);
    } else {
      b = std::move(a);
      a = std::move(next);
    }
  }
  OPENSSL_cleanse(s.data(), s.size());
  std::vector<std::uint32_t> out = std::move(a);
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

}  // namespace anonkit::pseudo
