// Typed partial masks. Each keeps the separators and length of the original so a masked value still
// fits the column and the eye, and falls back to masking everything when the value is not of its
// type.
#include "anonkit/mask/typed.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "anonkit/detect/phone.hpp"
#include "anonkit/detect/validators.hpp"
#include "anonkit/error.hpp"
#include "anonkit/text/utf8.hpp"

namespace anonkit::mask {
namespace {

inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
inline bool is_alnum(char c) noexcept { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
// A '*' in a value stands for a character already hidden: it counts as a secret character of every
// type, so masking a masked value changes nothing (retention re-checks rows by re-applying masks)
// and a star never makes more of a value visible than its type's mask shows.
inline bool secret_digit(char c) noexcept { return is_digit(c) || c == '*'; }
inline bool secret_alnum(char c) noexcept { return is_alnum(c) || c == '*'; }

struct NamedType {
  std::string_view name;
  MaskType type;
};
constexpr std::array<NamedType, 26> kNames = {{
    {"email", MaskType::kEmail},       {"phone", MaskType::kPhone},
    {"card", MaskType::kCard},         {"credit_card", MaskType::kCard},
    {"iban", MaskType::kIban},         {"ssn", MaskType::kSsn},
    {"us_ssn", MaskType::kSsn},        {"name", MaskType::kName},
    {"person", MaskType::kName},       {"ip", MaskType::kIp},
    {"ip_address", MaskType::kIp},     {"mac", MaskType::kMac},
    {"mac_address", MaskType::kMac},   {"url", MaskType::kUrl},
    {"date", MaskType::kDate},         {"date_of_birth", MaskType::kDate},
    {"dob", MaskType::kDate},          {"id", MaskType::kId},
    {"ke_national_id", MaskType::kId}, {"ke_kra_pin", MaskType::kId},
    {"kra_pin", MaskType::kId},        {"national_id", MaskType::kId},
    {"passport", MaskType::kId},       {"all", MaskType::kAll},
    {"full", MaskType::kAll},          {"text", MaskType::kAll},
}};

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Every letter and digit (any script) becomes '*'; separators and punctuation stay.
std::string mask_all(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size();) {
    const text::Decoded d = text::decode(v, i);
    if (text::is_word_char(d.code_point))
      out.push_back('*');
    else
      out.append(v.substr(i, d.length));
    i += d.length;
  }
  return out;
}

// Replaces each character `secret` selects with '*', except the first `keep_head` and the last
// `keep_tail` of them.
template <typename Secret>
std::string mask_counted(std::string_view v, std::size_t keep_head, std::size_t keep_tail,
                         Secret secret) {
  const auto total = static_cast<std::size_t>(std::count_if(v.begin(), v.end(), secret));
  std::string out(v);
  std::size_t seen = 0;
  for (char& c : out) {
    if (!secret(c)) continue;
    if (seen >= keep_head && seen + keep_tail < total) c = '*';
    ++seen;
  }
  return out;
}

std::string mask_digits(std::string_view v, std::size_t keep_head, std::size_t keep_tail) {
  return mask_counted(v, keep_head, keep_tail, secret_digit);
}

// Letters and digits; a value with non-ASCII letters is masked completely (its "letters" would be
// counted in bytes, not characters).
std::string mask_alnum(std::string_view v, std::size_t keep_head, std::size_t keep_tail) {
  if (std::any_of(v.begin(), v.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
    return mask_all(v);
  return mask_counted(v, keep_head, keep_tail, secret_alnum);
}

std::size_t count_digits(std::string_view v) {
  return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), secret_digit));
}

std::string mask_email(std::string_view v) {
  const std::size_t at = v.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= v.size() || v.find('@') != at ||
      v.find('.', at) == std::string_view::npos)
    return mask_all(v);
  const text::Decoded first = text::decode(v, 0);
  return fmt::format("{}***{}", v.substr(0, first.length), v.substr(at));
}

std::string mask_phone(std::string_view v) {
  const std::size_t digits = count_digits(v);
  if (digits < 7) return mask_all(v);
  std::size_t keep_head = 0;
  const std::size_t plus = v.find_first_not_of(" (");
  if (plus != std::string_view::npos && v[plus] == '+') {
    std::string all;  // a hidden digit reads as 0: the country code is what is still shown
    for (char c : v)
      if (secret_digit(c)) all.push_back(c == '*' ? '0' : c);
    keep_head = detect::country_code_length(all);
  }
  return mask_digits(v, keep_head, 2);
}

std::string mask_name(std::string_view v) {
  std::string out;
  bool at_word_start = true;
  for (std::size_t i = 0; i < v.size();) {
    const text::Decoded d = text::decode(v, i);
    const bool letter = text::is_word_char(d.code_point);
    if (letter && at_word_start) {
      if (!out.empty()) out.push_back(' ');
      out.append(v.substr(i, d.length));
      out.push_back('.');
    }
    at_word_start = !letter && d.code_point != '\'';
    i += d.length;
  }
  return out.empty() ? mask_all(v) : out;
}

// Keeps the network part: IPv4 /24, IPv6 /48.
std::string mask_ip(std::string_view v) {
  if (detect::ipv4_valid(v)) return fmt::format("{}.0", v.substr(0, v.rfind('.')));
  if (!detect::ipv6_valid(v)) return mask_all(v);
  // The first three groups as written; "::" anywhere among them means zeros follow.
  std::string out;
  std::size_t pos = 0;
  for (int group = 0; group < 3; ++group) {
    if (pos < v.size() && v[pos] == ':') break;  // reached "::": the rest of the prefix is zero
    const std::size_t colon = v.find(':', pos);
    out.append(v.substr(pos, colon - pos));
    out.push_back(':');
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
  }
  if (out.empty()) return "::";
  out.push_back(':');
  return out;
}

std::string mask_url(std::string_view v) {
  const std::size_t scheme = v.find("://");
  // Not a URL at all: hidden whole, never handed back as it came.
  const bool www = v.size() > 4 && (v.substr(0, 4) == "www." || v.substr(0, 4) == "WWW.");
  if (scheme == std::string_view::npos && !www) return mask_all(v);
  const std::size_t host_start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const std::size_t rest = v.find_first_of("/?#", host_start);
  if (host_start >= v.size()) return mask_all(v);
  // Credentials in the authority ("user:pass@host") never survive.
  std::string_view authority = v.substr(host_start, rest - host_start);
  const std::size_t at = authority.rfind('@');
  std::string out(v.substr(0, host_start));
  if (at != std::string_view::npos) {
    out.append("***@");
    authority.remove_prefix(at + 1);
  }
  out.append(authority);
  if (rest != std::string_view::npos && rest + 1 < v.size()) out.append("/***");
  return out;
}

// Keeps the year (a run of four digits), hides day and month.
std::string mask_date(std::string_view v) {
  std::string out(v);
  std::size_t year_at = std::string_view::npos;
  for (std::size_t i = 0; i + 4 <= v.size(); ++i) {
    if (is_digit(v[i]) && is_digit(v[i + 1]) && is_digit(v[i + 2]) && is_digit(v[i + 3]) &&
        (i == 0 || !is_digit(v[i - 1])) && (i + 4 == v.size() || !is_digit(v[i + 4]))) {
      year_at = i;
      break;
    }
  }
  if (year_at == std::string_view::npos) return mask_all(v);
  for (std::size_t i = 0; i < out.size(); ++i)
    if (is_alnum(out[i]) && (i < year_at || i >= year_at + 4)) out[i] = '*';
  return out;
}

}  // namespace

std::optional<MaskType> parse_mask_type(std::string_view name) noexcept {
  for (const NamedType& n : kNames)
    if (iequals(n.name, name)) return n.type;
  return std::nullopt;
}

std::string_view mask_type_names() noexcept {
  return "email, phone, card, iban, ssn, name, ip, mac, url, date, id, all";
}

MaskType mask_type_for_entity(std::string_view type) noexcept {
  if (iequals(type, "LOCATION")) return MaskType::kAll;
  return parse_mask_type(type).value_or(MaskType::kAll);
}

std::string mask_typed(std::string_view v, MaskType type) {
  switch (type) {
    case MaskType::kEmail:
      return mask_email(v);
    case MaskType::kPhone:
      return mask_phone(v);
    case MaskType::kCard:
      return count_digits(v) >= 12 ? mask_digits(v, 0, 4) : mask_all(v);
    case MaskType::kIban: {
      const bool shaped = v.size() >= 15 && std::isupper(static_cast<unsigned char>(v[0])) &&
                          std::isupper(static_cast<unsigned char>(v[1]));
      return shaped ? mask_alnum(v, 2, 4) : mask_all(v);
    }
    case MaskType::kSsn:
      return count_digits(v) == 9 ? mask_digits(v, 0, 4) : mask_all(v);
    case MaskType::kName:
      return mask_name(v);
    case MaskType::kIp:
      return mask_ip(v);
    case MaskType::kMac: {
      const bool shaped = v.size() == 17 || v.size() == 14;
      return shaped ? mask_alnum(v, 6, 0) : mask_all(v);
    }
    case MaskType::kUrl:
      return mask_url(v);
    case MaskType::kDate:
      return mask_date(v);
    case MaskType::kId:
      return v.size() >= 5 ? mask_alnum(v, 0, 2) : mask_all(v);
    case MaskType::kAll:
      return mask_all(v);
  }
  return mask_all(v);
}

std::string mask_partial(std::string_view value, std::int64_t keep_first, std::int64_t keep_last,
                         std::string_view fill) {
  if (keep_first < 0 || keep_last < 0)
    throw InvalidArgument(
        fmt::format("anonkit: mask_partial expects keep_first and keep_last >= 0, got {} and {}",
                    keep_first, keep_last));
  if (fill.empty() || !text::valid(fill) || text::decode(fill, 0).length != fill.size())
    throw InvalidArgument(fmt::format(
        "anonkit: mask_partial expects fill to be exactly one character, got '{}'", fill));
  // Two walks over the characters instead of an offset table: values may be hundreds of MB.
  const auto n = static_cast<std::uint64_t>(text::char_count(value, value.size()));
  const auto first = static_cast<std::uint64_t>(keep_first);
  const auto last = static_cast<std::uint64_t>(keep_last);
  std::string out;
  if (first >= n || last >= n - first) {  // nothing would be hidden: hide everything instead
    out.reserve(n * fill.size());
    for (std::uint64_t i = 0; i < n; ++i) out.append(fill);
    return out;
  }
  auto offset_of = [&](std::uint64_t char_index) {
    std::size_t pos = 0;
    for (std::uint64_t i = 0; i < char_index && pos < value.size(); ++i) {
      ++pos;
      while (pos < value.size() && (static_cast<unsigned char>(value[pos]) & 0xC0) == 0x80) ++pos;
    }
    return pos;
  };
  const std::size_t head_end = offset_of(first);
  const std::size_t tail_start = offset_of(n - last);
  out.reserve(head_end + (n - first - last) * fill.size() + (value.size() - tail_start));
  out.append(value.substr(0, head_end));
  for (std::uint64_t i = first; i < n - last; ++i) out.append(fill);
  out.append(value.substr(tail_start));
  return out;
}

}  // namespace anonkit::mask
