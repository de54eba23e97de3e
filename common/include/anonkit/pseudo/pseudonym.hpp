// Keyed, deterministic, one-way pseudonyms: HMAC-SHA-256 over (type, value) with the keyring's
// pseudonym subkey, turned into a token or a realistic value of the type. Same key and input give
// the same output on every machine, so joins and GROUP BY survive pseudonymization.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "anonkit/pseudo/keyring.hpp"

namespace anonkit::pseudo {

enum class PseudonymType { kToken, kEmail, kName, kPhone, kInt };
[[nodiscard]] std::optional<PseudonymType> parse_pseudonym_type(std::string_view name) noexcept;
// pseudonym()'s type argument: 'email', 'name', 'phone' or 'int'; throws InvalidArgument
// ("anonkit: pseudonym() type must be ...") otherwise. Shared by the SQLite and PostgreSQL
// functions so both accept and refuse the same names.
[[nodiscard]] PseudonymType pseudonym_type_argument(std::string_view name);

class Pseudonymizer {
 public:
  // Computes the HMAC key schedule once; every call copies it (EVP_MAC_CTX_dup) instead.
  explicit Pseudonymizer(const KeyBytes& key);
  ~Pseudonymizer();
  Pseudonymizer(const Pseudonymizer&) = delete;
  Pseudonymizer& operator=(const Pseudonymizer&) = delete;

  // HMAC-SHA-256(key, type || 0x00 || value): the type name keeps the types' outputs independent.
  [[nodiscard]] std::array<std::uint8_t, 32> mac(std::string_view type,
                                                 std::string_view value) const;

  // `value` is the canonical text of the SQL value (see canonical_number). kInt needs an integer.
  [[nodiscard]] std::string text(PseudonymType type, std::string_view value) const;
  [[nodiscard]] std::int64_t integer(std::int64_t value) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The text a number is pseudonymized as, so 42, 42.0 and '42' give the same pseudonym.
[[nodiscard]] std::string canonical_number(double value);

}  // namespace anonkit::pseudo
