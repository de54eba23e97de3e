// Strict UTF-8 decoding and Unicode character classes. Classes and case mapping come from the C
// library's C.UTF-8 locale (glibc ships full Unicode tables there), opened once and never set
// globally.
#include "anonkit/text/utf8.hpp"

#include <locale.h>
#include <wctype.h>

namespace anonkit::text {
namespace {

locale_t utf8_locale() noexcept {
  static const locale_t loc = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (l == static_cast<locale_t>(nullptr)) l = newlocale(LC_CTYPE_MASK, "C", nullptr);
    return l;
  }();
  return loc;
}

inline bool is_cont(unsigned char b) noexcept { return (b & 0xC0) == 0x80; }

}  // namespace

Decoded decode(std::string_view s, std::size_t pos) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data()) + pos;
  const std::size_t avail = s.size() - pos;
  const unsigned char b0 = p[0];
  if (b0 < 0x80) return {b0, 1};
  std::size_t len;
  char32_t cp;
  char32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {kInvalidCodePoint, 1};
  }
  if (avail < len) return {kInvalidCodePoint, 1};
  for (std::size_t i = 1; i < len; ++i) {
    if (!is_cont(p[i])) return {kInvalidCodePoint, 1};
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {kInvalidCodePoint, 1};
  return {cp, len};
}

Decoded decode_before(std::string_view s, std::size_t pos) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t start = pos - 1;
  // Walk back over at most three continuation bytes to the lead byte.
  while (start > 0 && pos - start < 4 && is_cont(p[start])) --start;
  const Decoded d = decode(s, start);
  if (d.code_point != kInvalidCodePoint && start + d.length == pos) return d;
  return {kInvalidCodePoint, 1};
}

std::size_t first_invalid(std::string_view s) noexcept {
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    // Fast path over ASCII, eight bytes at a time.
    while (i + 8 <= s.size()) {
      std::uint64_t w;
      __builtin_memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= s.size()) break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    const Decoded d = decode(s, i);
    if (d.code_point == kInvalidCodePoint) return i;
    i += d.length;
  }
  return s.size();
}

std::size_t char_count(std::string_view s, std::size_t byte_end) noexcept {
  std::size_t n = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (std::size_t i = 0; i < byte_end; ++i) n += !is_cont(p[i]);
  return n;
}

std::size_t encode(char32_t c, unsigned char* out) noexcept {
  if (c < 0x80) {
    out[0] = static_cast<unsigned char>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<unsigned char>(0xC0 | (c >> 6));
    out[1] = static_cast<unsigned char>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<unsigned char>(0xE0 | (c >> 12));
    out[1] = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
    out[2] = static_cast<unsigned char>(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = static_cast<unsigned char>(0xF0 | (c >> 18));
  out[1] = static_cast<unsigned char>(0x80 | ((c >> 12) & 0x3F));
  out[2] = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
  out[3] = static_cast<unsigned char>(0x80 | (c & 0x3F));
  return 4;
}

bool is_word_char(char32_t c) noexcept {
  if (c < 0x80)
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  if (c == kInvalidCodePoint) return false;
  const locale_t loc = utf8_locale();
  return iswalnum_l(static_cast<wint_t>(c), loc) != 0 || (c >= 0x300 && c <= 0x36F);
}

char32_t to_lower(char32_t c) noexcept {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c == kInvalidCodePoint) return c;
  return static_cast<char32_t>(towlower_l(static_cast<wint_t>(c), utf8_locale()));
}

}  // namespace anonkit::text
