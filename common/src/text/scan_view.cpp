#include "anonkit/text/scan_view.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "anonkit/text/utf8.hpp"

namespace anonkit::text {
namespace {

// The zero of every run of ten decimal digits (Unicode general category Nd) outside ASCII.
constexpr std::array<char32_t, 42> kDigitZeros = {
    0x0660, 0x06F0, 0x07C0, 0x0966,  0x09E6,  0x0A66,  0x0AE6,  0x0B66,  0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0,  0x0F20,  0x1040,  0x1090,  0x17E0,  0x1810, 0x1946, 0x19D0,
    0x1A80, 0x1A90, 0x1B50, 0x1BB0,  0x1C40,  0x1C50,  0xA620,  0xA8D0,  0xA900, 0xA9D0, 0xA9F0,
    0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6};

}  // namespace

ScanView::Mapping ScanView::map(char32_t c) noexcept {
  if (c < 0x80 || c == kInvalidCodePoint) return {};
  switch (c) {
    case 0x00A0:
    case 0x1680:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return {true, ' '};
    case 0x2028:
    case 0x2029:
      return {true, '\n'};
    case 0x2043:
    case 0x2212:
    case 0xFE58:
    case 0xFE63:
      return {true, '-'};
    case 0x00AD:
    case 0x180E:
    case 0x200B:
    case 0x200C:
    case 0x200D:
    case 0x2060:
    case 0xFEFF:
      return {true, '\0'};
    default:
      break;
  }
  if (c >= 0x2000 && c <= 0x200A) return {true, ' '};
  if (c >= 0x2010 && c <= 0x2015) return {true, '-'};
  if (c >= 0xFF01 && c <= 0xFF5E) return {true, static_cast<char>(c - 0xFF01 + 0x21)};
  const auto z = std::upper_bound(kDigitZeros.begin(), kDigitZeros.end(), c);
  if (z != kDigitZeros.begin() && c - *(z - 1) < 10)
    return {true, static_cast<char>('0' + (c - *(z - 1)))};
  return {};
}

ScanView::ScanView(std::string_view original) : original_(original) {
  // Offsets are kept in 32 bits; larger texts (beyond what SQLite or PostgreSQL pass a function)
  // are scanned as written.
  if (original.size() >= std::numeric_limits<std::uint32_t>::max()) return;
  std::size_t first = original.size();
  for (std::size_t i = 0; i < original.size();) {
    if (static_cast<unsigned char>(original[i]) < 0x80) {
      ++i;
      continue;
    }
    const Decoded d = decode(original, i);
    if (map(d.code_point).replaced) {
      first = i;
      break;
    }
    i += d.length;
  }
  if (first == original.size()) return;
  changed_ = true;
  view_.reserve(original.size());
  from_.reserve(original.size());
  to_.reserve(original.size());
  auto copy = [&](std::size_t begin, std::size_t end) {  // one character, as written
    for (std::size_t k = begin; k < end; ++k) {
      view_.push_back(original[k]);
      from_.push_back(static_cast<std::uint32_t>(begin));
      to_.push_back(static_cast<std::uint32_t>(end));
    }
  };
  for (std::size_t i = 0; i < first;) {
    const std::size_t len =
        static_cast<unsigned char>(original[i]) < 0x80 ? 1 : decode(original, i).length;
    copy(i, i + len);
    i += len;
  }
  for (std::size_t i = first; i < original.size();) {
    if (static_cast<unsigned char>(original[i]) < 0x80) {
      copy(i, i + 1);
      ++i;
      continue;
    }
    const Decoded d = decode(original, i);
    const Mapping m = map(d.code_point);
    if (!m.replaced) {
      copy(i, i + d.length);
    } else if (m.ascii != '\0') {
      view_.push_back(m.ascii);
      from_.push_back(static_cast<std::uint32_t>(i));
      to_.push_back(static_cast<std::uint32_t>(i + d.length));
    }
    i += d.length;
  }
}

}  // namespace anonkit::text
