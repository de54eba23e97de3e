// Pseudonym construction. How much of the 256-bit HMAC each type keeps (docs/functions.md):
// token 80 bits; email 2 name picks + 30 bits; name 2 picks from the lists; phone and int as many
// decimal digits as the input has.
#include "anonkit/pseudo/pseudonym.hpp"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cmath>
#include <limits>

#include "anonkit/detect/phone.hpp"
#include "anonkit/error.hpp"
#include "names.hpp"

namespace anonkit::pseudo {
namespace {

constexpr char kBase32[] = "abcdefghijklmnopqrstuvwxyz234567";

// The first `chars` base32 characters (5 bits each) of `bytes`.
std::string base32(const std::uint8_t* bytes, std::size_t chars) {
  std::string out;
  out.reserve(chars);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; out.size() < chars; ++i) {
    buffer = (buffer << 8) | bytes[i];
    bits += 8;
    while (bits >= 5 && out.size() < chars) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  return out;
}

std::uint64_t u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

}  // namespace

std::optional<PseudonymType> parse_pseudonym_type(std::string_view name) noexcept {
  if (name == "token") return PseudonymType::kToken;
  if (name == "email") return PseudonymType::kEmail;
  if (name == "name") return PseudonymType::kName;
  if (name == "phone") return PseudonymType::kPhone;
  if (name == "int") return PseudonymType::kInt;
  return std::nullopt;
}

PseudonymType pseudonym_type_argument(std::string_view name) {
  const auto parsed = parse_pseudonym_type(name);
  if (!parsed || *parsed == PseudonymType::kToken)
    throw InvalidArgument(fmt::format(
        "anonkit: pseudonym() type must be 'email', 'name', 'phone' or 'int' (or none for a "
        "token), got '{}'",
        name));
  return *parsed;
}

std::string canonical_number(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 9.2e18)
    return std::to_string(static_cast<std::int64_t>(value));
  return fmt::format("{}", value);
}

struct Pseudonymizer::State {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* prototype = nullptr;
};

Pseudonymizer::Pseudonymizer(const KeyBytes& key) : state_(std::make_unique<State>()) {
  state_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (state_->mac == nullptr) throw Error("anonkit: OpenSSL has no HMAC");
  state_->prototype = EVP_MAC_CTX_new(state_->mac);
  if (state_->prototype == nullptr) throw std::bad_alloc();
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(state_->prototype, key.data(), key.size(), params) != 1)
    throw Error("anonkit: HMAC-SHA-256 initialisation failed");
}

Pseudonymizer::~Pseudonymizer() {
  EVP_MAC_CTX_free(state_->prototype);
  EVP_MAC_free(state_->mac);
}

std::array<std::uint8_t, 32> Pseudonymizer::mac(std::string_view type,
                                                std::string_view value) const {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(state_->prototype);
  if (ctx == nullptr) throw std::bad_alloc();
  static constexpr std::uint8_t kSeparator = 0;
  std::array<std::uint8_t, 32> out{};
  std::size_t len = 0;
  const bool ok =
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(type.data()), type.size()) == 1 &&
      EVP_MAC_update(ctx, &kSeparator, 1) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(value.data()), value.size()) ==
          1 &&
      EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1;
  EVP_MAC_CTX_free(ctx);
  if (!ok || len != out.size()) throw Error("anonkit: HMAC-SHA-256 failed");
  return out;
}

std::string Pseudonymizer::text(PseudonymType type, std::string_view value) const {
  switch (type) {
    case PseudonymType::kToken: {
      const auto m = mac("", value);
      return "tok_" + base32(m.data(), 16);  // 80 bits
    }
    case PseudonymType::kEmail: {
      const auto m = mac("email", lower_ascii(value));  // addresses compare case-insensitively
      const auto& first = names::first();
      const auto& last = names::last();
      return fmt::format("{}.{}.{}@example.invalid", lower_ascii(first[u64(&m[0]) % first.size()]),
                         lower_ascii(last[u64(&m[8]) % last.size()]), base32(&m[16], 6));
    }
    case PseudonymType::kName: {
      const auto m = mac("name", value);
      const auto& first = names::first();
      const auto& last = names::last();
      return fmt::format("{} {}", first[u64(&m[0]) % first.size()], last[u64(&m[8]) % last.size()]);
    }
    case PseudonymType::kPhone: {
      // Keep '+', the country code, a national trunk 0 and every separator; replace the rest.
      std::string digits;
      for (const char c : value)
        if (c >= '0' && c <= '9') digits.push_back(c);
      if (digits.size() < 4)
        throw InvalidArgument(fmt::format(
            "anonkit: pseudonym(value, 'phone') expects a phone number (at least 4 digits), got "
            "a value with {} digit(s)",
            digits.size()));
      const std::size_t plus = value.find_first_not_of(" (");
      std::size_t keep = 0;
      if (plus != std::string_view::npos && value[plus] == '+')
        keep = detect::country_code_length(digits);
      else if (digits[0] == '0')
        keep = 1;
      const auto m = mac("phone", digits);  // formatting does not change the pseudonym
      std::string out(value);
      std::size_t seen = 0, drawn = 0;
      for (char& c : out) {
        if (c < '0' || c > '9') continue;
        if (seen++ < keep) continue;
        // One byte per digit (a 0.4% bias toward 0-5): 32 bytes cover any E.164 number.
        c = static_cast<char>('0' + m[drawn++ % m.size()] % 10);
      }
      return out;
    }
    case PseudonymType::kInt:
      break;
  }
  throw InvalidArgument("anonkit: pseudonym(value, 'int') expects an integer");
}

std::int64_t Pseudonymizer::integer(std::int64_t value) const {
  // Same sign, same number of decimal digits.
  const bool negative = value < 0;
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(value + 1)) + 1 : static_cast<std::uint64_t>(value);
  int digits = 1;
  for (std::uint64_t v = magnitude; v >= 10; v /= 10) ++digits;
  const auto m = mac("int", std::to_string(value));
  std::uint64_t lo = 0, hi = 9;
  if (digits > 1) {
    lo = 1;
    for (int i = 1; i < digits; ++i) lo *= 10;
    hi = digits >= 19 ? static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
                      : lo * 10 - 1;
  }
  const std::uint64_t picked = lo + u64(&m[0]) % (hi - lo + 1);
  return negative ? -static_cast<std::int64_t>(picked) : static_cast<std::int64_t>(picked);
}

}  // namespace anonkit::pseudo
