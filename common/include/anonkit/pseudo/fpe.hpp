// Format-preserving encryption of text: the characters of an alphabet are FF1-encrypted as one
// numeral string; every other character (dashes, spaces) stays where it was.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "anonkit/pseudo/ff1.hpp"

namespace anonkit::pseudo {

class Alphabet {
 public:
  // "digits" (default), "alnum" (0-9a-z), "hex", "alpha" (a-z): these ignore case; a value whose
  // letters are all upper case comes out in upper case (and round-trips exactly), any other value
  // in lower case. Anything else is a custom alphabet: its distinct characters, in
  // order, case-sensitive, at least 2. Throws InvalidArgument otherwise.
  [[nodiscard]] static Alphabet parse(std::string_view spec);
  [[nodiscard]] std::uint32_t radix() const noexcept {
    return static_cast<std::uint32_t>(chars_.size());
  }

  // Encrypts (or decrypts) the alphabet characters of `text` in place of themselves.
  [[nodiscard]] std::string transform(const Ff1& ff1, std::string_view text, bool encrypt) const;

 private:
  std::vector<char32_t> chars_;
  bool case_insensitive_ = false;
};

}  // namespace anonkit::pseudo
