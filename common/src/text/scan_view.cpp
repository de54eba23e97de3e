#include "anonkit/text/scan_view.hpp"

#include <algorithm>
#include <array>
#include <cstring>
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
  std::size_t i = 0;
  std::size_t run = 0;  // start of the current verbatim run in the original
  auto flush = [&](std::size_t upto) {
    if (changed_) view_.append(original.data() + run, upto - run);
  };
  const std::size_t n = original.size();
  while (i < n) {
    // ASCII, the common case: eight bytes at a time while none has its high bit set.
    while (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, original.data() + i, 8);
      if ((word & 0x8080808080808080ULL) != 0) break;
      i += 8;
    }
    if (i >= n) break;
    const auto lead = static_cast<unsigned char>(original[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    // Two-byte characters that are never replaced (Latin, Greek, Cyrillic, Hebrew, most Arabic
    // letters) are skipped without decoding: only C2 A0/AD and the D9, DB, DF digit runs map.
    if (lead >= 0xC3 && lead <= 0xDF && lead != 0xD9 && lead != 0xDB && lead != 0xDF && i + 1 < n &&
        (static_cast<unsigned char>(original[i + 1]) & 0xC0) == 0x80) {
      i += 2;
      continue;
    }
    const Decoded d = decode(original, i);
    const Mapping m = map(d.code_point);
    if (!m.replaced) {
      i += d.length;
      continue;
    }
    if (!changed_) {
      changed_ = true;
      view_.reserve(original.size());
      edits_.push_back({0, 0, 0});
    }
    flush(i);
    if (m.ascii != '\0') {
      edits_.push_back({static_cast<std::uint32_t>(view_.size()), static_cast<std::uint32_t>(i),
                        static_cast<std::uint32_t>(d.length)});
      view_.push_back(m.ascii);
    }
    i += d.length;
    run = i;
    edits_.push_back({static_cast<std::uint32_t>(view_.size()), static_cast<std::uint32_t>(i), 0});
  }
  flush(original.size());
}

const ScanView::Edit& ScanView::edit_at(std::size_t view_pos) const noexcept {
  // The last edit at or before view_pos (several may share a position: the last one holds).
  auto it = std::upper_bound(edits_.begin(), edits_.end(), view_pos,
                             [](std::size_t p, const Edit& e) { return p < e.view; });
  return *(it - 1);
}

std::pair<std::size_t, std::size_t> ScanView::original(std::size_t begin,
                                                       std::size_t end) const noexcept {
  if (!changed_) return {begin, end};
  const Edit& b = edit_at(begin);
  const std::size_t first = b.len > 0 ? b.orig : b.orig + (begin - b.view);
  const Edit& e = edit_at(end - 1);
  const std::size_t last = e.len > 0 ? e.orig + e.len : e.orig + (end - 1 - e.view) + 1;
  return {first, last};
}

}  // namespace anonkit::text
