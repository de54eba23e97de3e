// The built-in recognizers: candidate patterns and the checks that make a candidate a hit. The
// patterns are deliberately wide; precision comes from the checks (checksums, boundaries, context).
#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <string>
#include <unordered_set>

#include "anonkit/detect/recognizer.hpp"
#include "anonkit/detect/validators.hpp"
#include "anonkit/text/utf8.hpp"
#include "detect_lists.hpp"

namespace anonkit::detect {
namespace {

inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
inline bool is_alnum(char c) noexcept { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
inline bool is_hex(char c) noexcept { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// The character just before/after the candidate is a letter or digit (any script).
bool word_before(const Candidate& c) noexcept {
  return c.begin > 0 && text::is_word_char(text::decode_before(c.text, c.begin).code_point);
}
bool word_after(const Candidate& c) noexcept {
  return c.end < c.text.size() && text::is_word_char(text::decode(c.text, c.end).code_point);
}
char char_before(const Candidate& c) noexcept { return c.begin > 0 ? c.text[c.begin - 1] : '\0'; }
char char_at(const Candidate& c, std::size_t i) noexcept {
  return i < c.text.size() ? c.text[i] : '\0';
}
std::string_view span(const Candidate& c) noexcept {
  return c.text.substr(c.begin, c.end - c.begin);
}

// The candidate continues a longer dotted, dashed or slashed token ("INV-2024...", "v1.2.3.4.5").
bool glued_to_token(const Candidate& c, std::string_view joiners) noexcept {
  const char before = char_before(c);
  if (before != '\0' && joiners.find(before) != std::string_view::npos && c.begin >= 2 &&
      is_alnum(c.text[c.begin - 2]))
    return true;
  const char after = char_at(c, c.end);
  return after != '\0' && joiners.find(after) != std::string_view::npos &&
         is_alnum(char_at(c, c.end + 1));
}

bool email_check(Candidate& c) {
  // Labels and quotes glued on ("user=jane@x.co", "mailto/jane@...", "'jane@x.co'") are legal
  // local-part characters but not part of the address people mean: start after them.
  {
    const std::string_view whole = span(c);
    const std::size_t at = whole.find('@');
    const std::size_t label = whole.substr(0, at).find_last_of("=/");
    if (label != std::string_view::npos) c.begin += label + 1;
    while (c.begin < c.end && std::strchr("'`{|}", c.text[c.begin]) != nullptr) ++c.begin;
    if (c.begin >= c.end || c.text[c.begin] == '@') return false;
  }
  if (c.begin > 0 && std::strchr("=/'`{|}", c.text[c.begin - 1]) == nullptr && word_before(c))
    return false;
  if (word_after(c)) return false;
  const std::string_view s = span(c);
  const std::size_t at = s.find('@');
  const std::string_view local = s.substr(0, at);
  const std::string_view domain = s.substr(at + 1);
  // The local part is not held to RFC 5322's dot-atom: "jane..doe@" is a typo, still someone's
  // address, and masking it is the safe answer. Leading dots come from prose ("...see a@b.co").
  if (local.front() == '.') return false;
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= domain.size(); ++i) {
    if (i == domain.size() || domain[i] == '.') {
      const std::string_view label = domain.substr(label_start, i - label_start);
      if (label.empty() || label.front() == '-' || label.back() == '-') return false;
      label_start = i + 1;
    }
  }
  return true;
}

bool url_check(Candidate& c) {
  if (word_before(c)) return false;
  // Sentence punctuation after a URL is not part of it; a closing bracket is only when unbalanced.
  while (c.end > c.begin) {
    const char last = c.text[c.end - 1];
    if (std::strchr(".,;:!?'\"*", last) != nullptr) {
      --c.end;
      continue;
    }
    if (last == ')' || last == ']' || last == '}') {
      const char open = last == ')' ? '(' : last == ']' ? '[' : '{';
      const std::string_view s = span(c);
      if (std::count(s.begin(), s.end(), open) < std::count(s.begin(), s.end(), last)) {
        --c.end;
        continue;
      }
    }
    break;
  }
  const std::string_view s = span(c);
  std::size_t host_start = s.find("://");
  host_start = host_start == std::string_view::npos ? 0 : host_start + 3;
  // The authority runs to the path; credentials ("user:pass@") and a port are not the host.
  std::string_view authority =
      s.substr(host_start, s.find_first_of("/?#", host_start) - host_start);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  const std::string_view host = authority.substr(0, authority.find(':'));
  if (host.empty()) return false;
  return host.find('.') != std::string_view::npos || host == "localhost";
}

// Drops trailing separator-delimited groups until `valid` accepts, so a card or IBAN followed by an
// unrelated number ("... 1111 2024") is still found.
template <typename Valid>
bool accept_or_trim_groups(Candidate& c, Valid valid, std::size_t min_len) {
  while (c.end - c.begin >= min_len) {
    if (valid(span(c))) return true;
    const std::string_view s = span(c);
    const std::size_t sep = s.find_last_of(" -/");
    if (sep == std::string_view::npos) return false;
    c.end = c.begin + sep;
    while (c.end > c.begin && std::strchr(" -/", c.text[c.end - 1]) != nullptr) --c.end;
  }
  return false;
}

const std::vector<std::string> kCardContext = {
    "card", "cards", "visa",   "mastercard", "master card", "amex",     "maestro",
    "jcb",  "debit", "credit", "kadi",       "diners",      "discover", "unionpay"};

bool card_check(Candidate& c) {
  if (word_before(c) || glued_to_token(c, "-./")) return false;
  const std::size_t original_end = c.end;
  const bool card_word = has_context(c.text, c.begin, c.end, kCardContext);
  auto valid = [card_word](std::string_view s) { return card_number_valid(s, card_word); };
  if (!accept_or_trim_groups(c, valid, 12)) return false;
  if (card_word) c.confidence = 0.97;
  // A trimmed candidate must still end at a group boundary, not inside a digit run.
  return c.end == original_end || !is_digit(char_at(c, c.end));
}

bool iban_check(Candidate& c) {
  if (word_before(c)) return false;
  const std::size_t original_end = c.end;
  if (!accept_or_trim_groups(c, iban_valid, 15)) return false;
  return c.end == original_end || !is_alnum(char_at(c, c.end));
}

const std::vector<std::string> kSsnContext = {"ssn", "social security", "social security number",
                                              "ss#", "ss no"};

bool ssn_check(Candidate& c) {
  if (word_before(c) || word_after(c) || glued_to_token(c, "-./")) return false;
  const std::string_view s = span(c);
  if (!us_ssn_valid(s)) return false;
  const bool compact = s.find_first_of(" -") == std::string_view::npos;
  const bool context = has_context(c.text, c.begin, c.end, kSsnContext);
  if (compact && !context) return false;  // nine bare digits are too often something else
  c.confidence = context ? 0.95 : c.confidence;
  return true;
}

bool ipv4_check(Candidate& c) {
  if (word_before(c) || word_after(c) || glued_to_token(c, ".")) return false;
  return ipv4_valid(span(c));
}

bool ipv6_check(Candidate& c) {
  const char before = char_before(c);
  const char after = char_at(c, c.end);
  if (word_before(c) || word_after(c) || before == ':' || after == ':') return false;
  const std::string_view s = span(c);
  const auto hex_digits = std::count_if(s.begin(), s.end(), is_hex);
  // "a::b" and "::1" are valid text forms but in prose they are almost never an address of a
  // person's device: ask for four hex digits or an IPv4 tail.
  const bool ipv4_tail = s.find('.') != std::string_view::npos;
  if ((hex_digits < 4 && !ipv4_tail) || std::count(s.begin(), s.end(), ':') < 2) return false;
  return ipv6_valid(s);
}

bool mac_check(Candidate& c) {
  if (word_before(c) || word_after(c)) return false;
  const char after = char_at(c, c.end);
  if ((after == ':' || after == '-' || after == '.') && is_hex(char_at(c, c.end + 1))) return false;
  const std::string_view s = span(c);
  if (s.size() == 14) return s[4] == '.' && s[9] == '.';  // Cisco form aaaa.bbbb.cccc
  const char sep = s[2];
  for (std::size_t i = 2; i < s.size(); i += 3)
    if (s[i] != sep) return false;
  return true;
}

const std::vector<std::string> kKraContext = {"pin", "kra", "kra pin", "tax", "itax"};

bool kra_check(Candidate& c) {
  if (word_before(c) || word_after(c)) return false;
  const bool context = has_context(c.text, c.begin, c.end, kKraContext);
  // Lower case ("kra pin a012345678z") only next to a KRA word.
  const bool lower = std::islower(static_cast<unsigned char>(c.text[c.begin])) ||
                     std::islower(static_cast<unsigned char>(c.text[c.end - 1]));
  if (lower && !context) return false;
  if (context) c.confidence = 0.95;
  return true;
}

bool digits_id_check(Candidate& c) {
  if (word_before(c) || word_after(c)) return false;
  // A label glued on ("ID:12345678", "ID#12345678", "idno=12345678") is not a longer token.
  const char before = char_before(c);
  const bool label = (before == ':' || before == '#' || before == '=') && c.begin >= 2 &&
                     std::isalpha(static_cast<unsigned char>(c.text[c.begin - 2]));
  if (!label) return !glued_to_token(c, "-./,:");
  const char after = char_at(c, c.end);
  return !(after != '\0' && std::strchr("-./,:", after) != nullptr &&
           is_alnum(char_at(c, c.end + 1)));
}

bool passport_check(Candidate& c) { return !(word_before(c) || word_after(c)); }

// Textual dates: "12 March 1984", "March 12, 1984", "12th Mar 1984".
bool textual_date_valid(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int day = 0, year = 0, month = -1;
  std::size_t i = 0;
  auto read_number = [&](int& out) {
    int n = 0, digits = 0;
    while (i < s.size() && is_digit(s[i])) n = n * 10 + (s[i++] - '0'), ++digits;
    out = n;
    return digits;
  };
  auto read_month = [&] {
    std::string word;
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i])))
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(s[i++])));
    for (std::size_t m = 0; m < kMonths.size(); ++m)
      if (word.size() >= 3 && word.compare(0, 3, kMonths[m]) == 0) month = static_cast<int>(m);
  };
  auto skip_noise = [&] {
    while (i < s.size() && !is_digit(s[i]) && !std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
  };
  auto skip_ordinal = [&] {
    while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i])) &&
           std::strchr("stndrdh", std::tolower(static_cast<unsigned char>(s[i]))) != nullptr)
      ++i;
  };
  if (is_digit(s[0])) {
    read_number(day);
    skip_ordinal();
    skip_noise();
    read_month();
  } else {
    read_month();
    skip_noise();
    read_number(day);
    skip_ordinal();
  }
  skip_noise();
  if (read_number(year) != 4) return false;
  if (month < 0 || day < 1 || day > kDays[month] || year < 1900 || year > 2100) return false;
  if (month == 1 && day == 29) return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return true;
}

bool dob_check(Candidate& c) {
  if (word_before(c) || word_after(c) || glued_to_token(c, "-./:")) return false;
  const std::string_view s = span(c);
  if (std::isalpha(static_cast<unsigned char>(s.back())) ||
      std::any_of(s.begin(), s.end(),
                  [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)); }))
    return textual_date_valid(s);
  if (date_valid(s)) return true;
  // US order MM/DD/YYYY: swap the first two fields and try again.
  const std::size_t first = s.find_first_of("/-.");
  const std::size_t second = s.find_first_of("/-.", first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos || first > 2)
    return false;
  std::string swapped;
  swapped.append(s.substr(first + 1, second - first - 1));
  swapped.push_back(s[first]);
  swapped.append(s.substr(0, first));
  swapped.append(s.substr(second));
  return date_valid(swapped);
}

const std::vector<std::string> kNotTowns = {"please", "the",   "and",   "attn",
                                            "tel",    "phone", "email", "kenya"};

bool postal_check(Candidate& c) {
  if (word_before(c) || word_after(c)) return false;
  // A capitalized word after the number is the town, unless it is plainly not one ("Please").
  const std::string_view s = span(c);
  const std::size_t last_digit = s.find_last_of("0123456789");
  if (last_digit != std::string_view::npos && last_digit + 1 < s.size()) {
    std::string town(s.substr(last_digit + 1));
    town.erase(0, town.find_first_not_of(", "));
    const std::string first = town.substr(0, town.find(' '));
    std::string lower = first;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (std::find(kNotTowns.begin(), kNotTowns.end(), lower) != kNotTowns.end())
      c.end = c.begin + last_digit + 1;
  }
  return true;
}

// A street address: the words before the street word must hold a name once the sentence words
// in front ("at", "the", "along") are dropped, so "The Road" and "On the Way" are not addresses.
bool street_check(Candidate& c) {
  if (word_before(c) || word_after(c)) return false;
  static const std::unordered_set<std::string> stop = [] {
    std::unordered_set<std::string> out(lists::stopwords().begin(), lists::stopwords().end());
    for (const char* w : {"along", "off", "near", "via", "opposite", "behind", "next", "past",
                          "any", "no", "by", "every", "one", "half", "all", "long", "main"})
      out.insert(w);
    out.erase("main");  // Main Street is a street
    return out;
  }();
  const std::string_view s = span(c);
  std::size_t name = 0;
  if (is_digit(s[0])) {  // house number: keep it, look at the words after it
    name = s.find_first_of(" \t\n\r\f,");
    name = s.find_first_not_of(" \t\n\r\f,", name);
  }
  // The words between the house number (if any) and the street word, the last word.
  const std::size_t street_word = s.find_last_of(" \t\n\r\f");
  if (street_word == std::string_view::npos || street_word <= name) return false;
  std::size_t first_kept = name;
  std::size_t pos = name;
  bool any_name = false;
  while (pos < street_word) {
    const std::size_t end = std::min(s.find_first_of(" \t\n\r\f", pos), street_word);
    std::string word(s.substr(pos, end - pos));
    for (char& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!any_name && stop.count(word) != 0) {
      first_kept = s.find_first_not_of(" \t\n\r\f", end);
    } else {
      any_name = true;
    }
    pos = s.find_first_not_of(" \t\n\r\f", end);
    if (pos == std::string_view::npos) break;
  }
  if (!any_name) return false;
  if (first_kept != name) c.begin += first_kept;  // drop the sentence words (and a number before)
  // "Close", "Drive" and "Way" are also a button, a disk and a manner ("click Close", "Google
  // Drive", "Any Way"): those need a house number, or a preposition before the street name and a
  // name that is not a product or an instruction.
  const std::string_view street = s.substr(street_word + 1);
  if (street != "Close" && street != "Drive" && street != "Way") return true;
  if (name != 0 && first_kept == name) return true;  // kept its house number
  auto lower_word = [&](std::size_t b, std::size_t e) {
    std::string w(c.text.substr(b, e - b));
    for (char& ch : w) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return w;
  };
  static const std::unordered_set<std::string> prepositions = {
      "at", "along", "on", "off", "in", "near", "opposite", "via", "into", "from", "to", "past"};
  static const std::unordered_set<std::string> not_streets = {
      "google", "usb", "hard", "flash", "disk", "network", "shared", "test", "cloud", "thumb",
      "pen", "external", "one", "team", "click", "press", "select", "tap", "hit", "kindly",
      "account", "window", "file", "ticket", "case", "any", "which", "no", "my", "your"};
  std::size_t e = c.begin;
  while (e > 0 && c.text[e - 1] == ' ') --e;
  std::size_t b = e;
  while (b > 0 && std::isalpha(static_cast<unsigned char>(c.text[b - 1]))) --b;
  if (b == e || prepositions.count(lower_word(b, e)) == 0) return false;
  const std::size_t first_end = c.text.find_first_of(" -", c.begin);
  return not_streets.count(lower_word(c.begin, std::min(first_end, c.end))) == 0;
}

std::vector<RecognizerSpec> make_builtins() {
  std::vector<RecognizerSpec> r;
  auto add = [&](RecognizerSpec spec) { r.push_back(std::move(spec)); };
  add({.type = "EMAIL",
       .description = "e-mail address (RFC 5321 shape)",
       .validator = "domain labels not starting or ending with -, alphabetic TLD",
       .pattern =
           R"([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,63})",
       .confidence = 0.95,
       .priority = 90,
       .check = email_check});
  add({.type = "PHONE",
       .description =
           "telephone number: E.164 (+CC), 00 prefix, Kenyan, NANP and UK national forms, "
           "local numbers after a telephone word",
       .validator =
           "country code and national length, separators, not a timestamp/amount/reference",
       // International (+ or 00), national with trunk 0 (Kenya, UK), North American forms,
       // Kenyan MSISDNs; every alternative needs a shape a reference number rarely has.
       .pattern =
           // An 'x' right after the digits may start an extension ("555-0132x45"); the check
           // trims it and reads the extension.
       std::string{R"((?:\+|\b00)\(?\d(?:[ .\-()]{0,2}\d){6,16}|\b0\d(?:[ .\-/]?\d){7,10}(?:\b|x)|)"
                   R"(\(\d{3}\) ?\d{3}[ .\-]?\d{4}(?:\b|x)|)"
                   R"(\b(?:1[ .\-])?[2-9]\d{2}[ .\-]\d{3}[ .\-]\d{4}(?:\b|x)|)"
                   R"(\b254[17]\d{8}\b|\b[2-9]\d{9}\b|\(0\d{1,4}\) ?\d(?:[ .\-]?\d){4,8}\b|)"}
       // Local numbers without a trunk prefix, only after a telephone word: the word is
       // part of the match (RE2 has no look-behind), the check trims it off.
       + local_phone_pattern(),
       .confidence = 0.8,
       .priority = 50,
       .check = phone_check});
  add({.type = "CREDIT_CARD",
       .description = "payment card number (PAN), compact or grouped by spaces or dashes",
       .validator = "issuer prefix and length (Visa, Mastercard, Amex, Discover, Diners, JCB, "
                    "UnionPay, Maestro) and Luhn",
       .pattern = R"(\b(?:\d{12,19}|\d{4}(?:[ \-/]{1,2}\d{4}){2,3}(?:[ \-/]{1,2}\d{1,3})?|)"
                  R"(\d{4}[ \-]{1,2}\d{6}[ \-]{1,2}\d{4,5})\b)",
       .confidence = 0.95,
       .priority = 85,
       .check = card_check});
  add({.type = "IBAN",
       .description = "international bank account number, compact or grouped by 4",
       .validator = "ISO 13616 country length and ISO 7064 mod 97-10",
       .pattern = R"(\b[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]){11,30}\b)",
       .confidence = 0.95,
       .priority = 85,
       .check = iban_check});
  add({.type = "US_SSN",
       .description = "US social security number",
       .validator = "area not 000/666/900-999, group not 00, serial not 0000; bare 9 digits need "
                    "context",
       .pattern = R"(\b\d{3}[ \-]?\d{2}[ \-]?\d{4}\b)",
       .confidence = 0.85,
       .priority = 70,
       .check = ssn_check});
  add({.type = "KE_NATIONAL_ID",
       .description = "Kenyan national identity card number (7-8 digits) next to a context word",
       .validator = "context word: ID, national ID, ID no, kitambulisho",
       .pattern = R"(\b(?:\d{7,8}|\d{3,4} \d{4})\b)",
       .confidence = 0.85,
       .context = {"id", "national id", "id no", "id number", "idno", "kitambulisho", "nid",
                   "identity card", "id card", "national identity"},
       .context_required = true,
       .priority = 55,
       .check = digits_id_check});
  add({.type = "KE_KRA_PIN",
       .description = "Kenya Revenue Authority personal identification number (A123456789B)",
       .validator = "A or P, nine digits, a letter",
       .pattern = R"(\b[AaPp]\d{9}[A-Za-z]\b)",
       .confidence = 0.85,
       .priority = 75,
       .check = kra_check});
  add({.type = "PASSPORT",
       .description = "passport number next to a context word",
       .validator = "context word: passport, pasipoti, travel document",
       .pattern = R"(\b(?:[A-Z]{1,2}\d{6,8}|\d{9})\b)",
       .confidence = 0.85,
       .context = {"passport", "pasipoti", "passport no", "passport number", "travel document"},
       .context_required = true,
       .priority = 60,
       .check = passport_check});
  add({.type = "IP_ADDRESS",
       .description = "IPv4 or IPv6 address",
       .validator = "IPv4 octets 0-255; IPv6 RFC 4291 text form incl. :: and IPv4 tail",
       .pattern =
           R"(\b(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\b)",
       .confidence = 0.9,
       .priority = 65,
       .check = ipv4_check});
  add({.type = "IP_ADDRESS",
       .description = "",
       .validator = "",
       .pattern =
           R"((?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?:[0-9A-Fa-f]{1,4}:){6}\d{1,3}(?:\.\d{1,3}){3}|)"
           R"((?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?::)"
           R"((?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?(?:\.\d{1,3}){0,3})",
       .confidence = 0.9,
       .priority = 65,
       .check = ipv6_check});
  add({.type = "MAC_ADDRESS",
       .description = "IEEE 802 MAC address (00:1A:2B:3C:4D:5E, 00-1A-..., 001a.2b3c.4d5e)",
       .validator = "one separator throughout",
       .pattern =
           R"(\b(?:[0-9A-Fa-f]{2}(?:[:\-][0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})\b)",
       .confidence = 0.9,
       .priority = 70,
       .check = mac_check});
  add({.type = "URL",
       .description = "web address (http, https, ftp, or www.)",
       .validator = "host with a dot; trailing punctuation trimmed",
       .pattern = R"((?i:\b(?:https?|ftp)://|\bwww\.)[^\s<>"'`]+)",
       .confidence = 0.85,
       .priority = 80,
       .check = url_check});
  add({.type = "DATE_OF_BIRTH",
       .description = "a date next to a birth context word",
       .validator = "real calendar date 1900-2100; context word: born, DOB, date of birth",
       .pattern =
           R"(\b(?:\d{4}[\-/.]\d{1,2}[\-/.]\d{1,2}|\d{1,2}[\-/.]\d{1,2}[\-/.]\d{4}|)"
           R"(\d{1,2}(?i:st|nd|rd|th)? (?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[A-Za-z]*\.?,? \d{4}|)"
           R"((?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[A-Za-z]*\.? \d{1,2}(?i:st|nd|rd|th)?,? \d{4})\b)",
       .confidence = 0.85,
       .context = {"born", "dob", "d.o.b", "date of birth", "birth date", "birthdate", "birthday",
                   "alizaliwa", "kuzaliwa"},
       .context_required = true,
       .priority = 60,
       .check = dob_check});
  add({.type = "LOCATION",
       .description = "place: a postal address (P.O. Box / S.L.P., postal code, town), a street "
                      "address (house number, name, Road/Street/Avenue/Way...), or a listed "
                      "county, town, estate or city written capitalized",
       .validator = "box number, optional 5-digit postal code (a bare 'Box' needs the code); "
                    "street name not a sentence word; place list (common/data/detect)",
       .pattern =
           R"(\b(?:(?i:p\.?\s?o\.?\s?box|s\.?\s?l\.?\s?p\.?|pob)\s*\d{1,6}(?:\s?-\s?\d{5})?|)"
           R"((?i:box)\s*\d{1,6}\s?-\s?\d{5})(?:,?\s+[A-Z][a-z]{2,}(?:\s[A-Z][a-z]{2,})?)?)",
       .confidence = 0.9,
       .priority = 60,
       .check = postal_check});
  add({.type = "LOCATION",
       .description = "",
       .validator = "",
       // A street address: an optional house number, one to three capitalized words and a
       // street word (Road, Street, Avenue, Way, ...), or Swahili "Barabara ya ...".
       .pattern =
           R"(\b(?:\d{1,5}[A-Za-z]?,?\s)?[A-Z][a-z]+(?:[ \-][A-Z][a-z]+){0,2} )"
           R"((?:Street|St|Road|Rd|Avenue|Ave|Drive|Lane|Close|Crescent|Way|Highway|Boulevard|)"
           R"(Blvd|Terrace|Gardens|Grove)\b|\bBarabara ya [A-Z][a-z]+(?: [A-Z][a-z]+)?\b)",
       .confidence = 0.85,
       .priority = 60,
       .check = street_check});
  return r;
}

}  // namespace

const std::vector<RecognizerSpec>& builtin_recognizers() {
  static const std::vector<RecognizerSpec> specs = make_builtins();
  return specs;
}

bool has_context(std::string_view text, std::size_t begin, std::size_t end,
                 const std::vector<std::string>& words, std::size_t window) {
  // Lower-cased copy of the window (ASCII folding is enough: context words are ASCII).
  const std::size_t from = begin > window ? begin - window : 0;
  const std::size_t to = std::min(text.size(), end + window / 2);
  std::array<char, 512> buf;
  const std::size_t n = std::min(to - from, buf.size());
  for (std::size_t i = 0; i < n; ++i) {
    const char ch = text[from + i];
    buf[i] = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
  }
  const std::string_view hay(buf.data(), n);
  const std::size_t cand_begin = begin - from;
  const std::size_t cand_end = std::min(end - from, n);
  for (const std::string& w : words) {
    for (std::size_t pos = hay.find(w); pos != std::string_view::npos; pos = hay.find(w, pos + 1)) {
      const std::size_t stop = pos + w.size();
      if (pos < cand_end && stop > cand_begin) continue;  // inside the candidate itself
      const bool left_ok = pos == 0 || !is_alnum(hay[pos - 1]);
      const bool right_ok = stop == n || !is_alnum(hay[stop]) || !is_alnum(w.back());
      if (left_ok && right_ok) return true;
    }
  }
  return false;
}

}  // namespace anonkit::detect
