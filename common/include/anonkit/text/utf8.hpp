// UTF-8 primitives shared by the scanner, the keyword automaton and the SQL adapters: strict
// decoding (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) and byte/character
// offsets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace anonkit::text {

inline constexpr char32_t kInvalidCodePoint = 0xFFFFFFFF;

struct Decoded {
  char32_t code_point;  // kInvalidCodePoint when the bytes at the position are not valid UTF-8
  std::size_t length;   // bytes consumed: 1..4; 1 for an invalid byte so callers always advance
};

// Decodes the code point starting at byte `pos` (pos < s.size()).
[[nodiscard]] Decoded decode(std::string_view s, std::size_t pos) noexcept;

// Decodes the code point that ends just before byte `pos` (pos > 0).
[[nodiscard]] Decoded decode_before(std::string_view s, std::size_t pos) noexcept;

// Byte offset of the first invalid sequence, or s.size() when `s` is valid UTF-8.
[[nodiscard]] std::size_t first_invalid(std::string_view s) noexcept;
[[nodiscard]] inline bool valid(std::string_view s) noexcept {
  return first_invalid(s) == s.size();
}

// Number of characters in s[0, byte_end), counted as SQLite's length()/substr() do: every byte
// that is not a continuation byte (10xxxxxx) starts a character.
[[nodiscard]] std::size_t char_count(std::string_view s, std::size_t byte_end) noexcept;

// Writes the UTF-8 encoding of `c` (a valid code point) to `out`; returns its length, 1..4.
std::size_t encode(char32_t c, unsigned char* out) noexcept;

// Letter, digit or connector (Unicode-aware, for whole-word boundaries).
[[nodiscard]] bool is_word_char(char32_t c) noexcept;

// Simple (1:1) Unicode lower-case mapping.
[[nodiscard]] char32_t to_lower(char32_t c) noexcept;

}  // namespace anonkit::text
