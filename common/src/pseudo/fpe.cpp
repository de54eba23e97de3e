// Text <-> numerals for FF1, keeping separators and letter case in place.
#include "anonkit/pseudo/fpe.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "anonkit/error.hpp"
#include "anonkit/text/utf8.hpp"

namespace anonkit::pseudo {
namespace {

void append_utf8(std::string& out, char32_t c) {
  unsigned char buf[4];
  out.append(reinterpret_cast<const char*>(buf), text::encode(c, buf));
}

}  // namespace

Alphabet Alphabet::parse(std::string_view spec) {
  Alphabet a;
  std::string_view chars;
  if (spec == "digits") {
    chars = "0123456789";
  } else if (spec == "alnum") {
    chars = "0123456789abcdefghijklmnopqrstuvwxyz";
    a.case_insensitive_ = true;
  } else if (spec == "hex") {
    chars = "0123456789abcdef";
    a.case_insensitive_ = true;
  } else if (spec == "alpha") {
    chars = "abcdefghijklmnopqrstuvwxyz";
    a.case_insensitive_ = true;
  } else {
    chars = spec;
  }
  if (!text::valid(chars))
    throw InvalidArgument("anonkit: the FPE alphabet must be valid UTF-8 text");
  for (std::size_t i = 0; i < chars.size();) {
    const text::Decoded d = text::decode(chars, i);
    i += d.length;
    if (std::find(a.chars_.begin(), a.chars_.end(), d.code_point) != a.chars_.end())
      throw InvalidArgument(fmt::format(
          "anonkit: the FPE alphabet must list each character once; '{}' repeats one", spec));
    a.chars_.push_back(d.code_point);
  }
  if (a.chars_.size() < 2 || a.chars_.size() > 65536)
    throw InvalidArgument(fmt::format(
        "anonkit: the FPE alphabet must be 'digits', 'alnum', 'hex', 'alpha' or a string of 2 to "
        "65536 distinct characters; got '{}'",
        spec));
  return a;
}

std::string Alphabet::transform(const Ff1& ff1, std::string_view text, bool encrypt) const {
  struct Position {
    std::size_t begin, length;
  };
  std::vector<std::uint32_t> numerals;
  std::vector<Position> positions;
  // Case-insensitive alphabets keep the value's case: letters come out upper case when every
  // letter went in upper case (KRA PINs, hex in capitals), so such values round-trip exactly.
  // A digit may land where a letter was, so per-position case could not be recovered.
  bool any_upper = false, any_lower = false;
  for (std::size_t i = 0; i < text.size();) {
    const text::Decoded d = text::decode(text, i);
    char32_t c = d.code_point;
    if (case_insensitive_ && c >= 'A' && c <= 'Z') c += 32;
    const auto found = std::find(chars_.begin(), chars_.end(), c);
    if (found != chars_.end()) {
      numerals.push_back(static_cast<std::uint32_t>(found - chars_.begin()));
      positions.push_back({i, d.length});
      any_upper |= d.code_point >= 'A' && d.code_point <= 'Z';
      any_lower |= d.code_point >= 'a' && d.code_point <= 'z';
    }
    i += d.length;
  }
  const bool upper = case_insensitive_ && any_upper && !any_lower;
  const std::vector<std::uint32_t> out = encrypt ? ff1.encrypt(numerals) : ff1.decrypt(numerals);
  std::string result;
  result.reserve(text.size());
  std::size_t pos = 0;
  for (std::size_t k = 0; k < positions.size(); ++k) {
    result.append(text.substr(pos, positions[k].begin - pos));
    char32_t c = chars_[out[k]];
    if (upper && c >= 'a' && c <= 'z') c -= 32;
    append_utf8(result, c);
    pos = positions[k].begin + positions[k].length;
  }
  result.append(text.substr(pos));
  return result;
}

}  // namespace anonkit::pseudo
