// PHONE: the recognizer peers get wrong. The pattern only finds runs of 7-17 digits with light
// separators; this check decides, by numbering plan, grouping and surroundings, which runs are
// telephone numbers and which are timestamps, amounts, card or reference numbers.
#include "anonkit/detect/phone.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "anonkit/detect/recognizer.hpp"
#include "anonkit/detect/validators.hpp"
#include "anonkit/text/utf8.hpp"

namespace anonkit::detect {
namespace {

inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// National significant number lengths for the calling codes we know well; any other assigned code
// accepts 6-13 digits (E.164 caps the whole number at 15).
struct CountryPlan {
  std::string_view code;
  int min_nsn;
  int max_nsn;
};
constexpr std::array<CountryPlan, 40> kPlans = {{
    {"1", 10, 10},  {"7", 10, 10}, {"20", 9, 10}, {"27", 9, 9},  {"30", 10, 10}, {"31", 9, 9},
    {"32", 8, 9},   {"33", 9, 9},  {"34", 9, 9},  {"39", 6, 11}, {"41", 9, 9},   {"44", 9, 10},
    {"46", 7, 9},   {"47", 8, 8},  {"48", 9, 9},  {"49", 6, 13}, {"52", 10, 10}, {"55", 10, 11},
    {"61", 9, 9},   {"62", 8, 12}, {"63", 8, 10}, {"81", 9, 10}, {"86", 9, 11},  {"90", 10, 10},
    {"91", 10, 10}, {"211", 9, 9}, {"212", 9, 9}, {"233", 9, 9}, {"234", 8, 10}, {"250", 9, 9},
    {"251", 9, 9},  {"252", 7, 9}, {"253", 8, 8}, {"254", 9, 9}, {"255", 9, 9},  {"256", 9, 9},
    {"257", 8, 8},  {"260", 9, 9}, {"971", 8, 9}, {"966", 9, 9},
}};

// ITU-T E.164 assigned country codes (prefix-free). Zones 2-9 with their spare codes left out.
bool assigned_country_code(std::string_view cc) noexcept {
  static constexpr std::string_view kCodes[] = {
      "1",   "7",   "20",  "27",  "30",  "31",  "32",  "33",  "34",  "36",  "39",  "40",  "41",
      "43",  "44",  "45",  "46",  "47",  "48",  "49",  "51",  "52",  "53",  "54",  "55",  "56",
      "57",  "58",  "60",  "61",  "62",  "63",  "64",  "65",  "66",  "81",  "82",  "84",  "86",
      "90",  "91",  "92",  "93",  "94",  "95",  "98",  "211", "212", "213", "216", "218", "220",
      "221", "222", "223", "224", "225", "226", "227", "228", "229", "230", "231", "232", "233",
      "234", "235", "236", "237", "238", "239", "240", "241", "242", "243", "244", "245", "246",
      "247", "248", "249", "250", "251", "252", "253", "254", "255", "256", "257", "258", "260",
      "261", "262", "263", "264", "265", "266", "267", "268", "269", "290", "291", "297", "298",
      "299", "350", "351", "352", "353", "354", "355", "356", "357", "358", "359", "370", "371",
      "372", "373", "374", "375", "376", "377", "378", "379", "380", "381", "382", "383", "385",
      "386", "387", "389", "420", "421", "423", "500", "501", "502", "503", "504", "505", "506",
      "507", "508", "509", "590", "591", "592", "593", "594", "595", "596", "597", "598", "599",
      "670", "672", "673", "674", "675", "676", "677", "678", "679", "680", "681", "682", "683",
      "685", "686", "687", "688", "689", "690", "691", "692", "850", "852", "853", "855", "856",
      "880", "886", "960", "961", "962", "963", "964", "965", "966", "967", "968", "970", "971",
      "972", "973", "974", "975", "976", "977", "992", "993", "994", "995", "996", "998", "800",
      "808", "870", "878", "881", "882", "883", "888", "979", "991",
  };
  return std::find(std::begin(kCodes), std::end(kCodes), cc) != std::end(kCodes);
}

const std::vector<std::string> kPhoneContext = {"phone",
                                                "tel",
                                                "telephone",
                                                "mobile",
                                                "mob",
                                                "cell",
                                                "call",
                                                "called",
                                                "calling",
                                                "sms",
                                                "text",
                                                "whatsapp",
                                                "contact",
                                                "contacts",
                                                "reach",
                                                "simu",
                                                "namba ya simu",
                                                "piga",
                                                "fax",
                                                "ring",
                                                "dial",
                                                "hotline",
                                                "phone no",
                                                "tel no",
                                                "m-pesa",
                                                "mpesa",
                                                "msisdn",
                                                "answering",
                                                "landline",
                                                "phoned",
                                                "nambari ya simu",
                                                "namba",
                                                "telefon",
                                                "telefono",
                                                "handset"};
const std::vector<std::string> kReferenceContext = {
    "invoice",   "inv",         "policy", "pol",       "claim",   "clm",    "order",  "ref",
    "reference", "account",     "acct",   "a/c",       "receipt", "ticket", "serial", "batch",
    "kes",       "ksh",         "kshs",   "usd",       "eur",     "amount", "paid",   "total",
    "balance",   "transaction", "txn",    "member no", "card",    "iban"};

struct Shape {
  bool plus = false;        // written with '+' or the 00 international prefix
  std::string digits;       // all digits, in order (without the 00 prefix)
  std::vector<int> groups;  // digit-group lengths
  int paren_group = -1;     // index of the group written in parentheses
  char sep = '\0';          // the one separator used between groups (after the exceptions)
  bool dots = false;
};

// Parses the candidate into groups; false when the separators are not one consistent style.
bool parse(std::string_view s, Shape& out) {
  std::size_t i = 0;
  if (s.size() > 2 && s[0] == '(' && s[1] == '+') {  // "(+254) 712 345 678"
    out.plus = true;
    const std::size_t close = s.find(')');
    if (close == std::string_view::npos || close < 3 || close > 5) return false;
    for (i = 2; i < close; ++i) {
      if (!is_digit(s[i])) return false;
      out.digits.push_back(s[i]);
    }
    out.groups.push_back(static_cast<int>(close - 2));
    i = close + 1;
    if (i < s.size() && s[i] == ' ') ++i;
  } else if (s[0] == '+') {
    out.plus = true;
    i = 1;
    if (i < s.size() && s[i] == ' ') ++i;
  } else if (s.size() > 2 && s[0] == '0' && s[1] == '0') {
    out.plus = true;
    i = 2;
  }
  bool in_paren = false;
  int current = 0;
  bool after_paren = false;
  char pending = '\0';
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (is_digit(c)) {
      if (pending != '\0' || current == 0) {
        if (current > 0) out.groups.push_back(current), current = 0;
        if (pending != '\0' && !after_paren) {
          // The separator after the country code may differ from the rest ("+254 712-345-678").
          const bool after_cc = out.plus && out.groups.size() == 1;
          if (!after_cc) {
            if (out.sep != '\0' && out.sep != pending) return false;
            out.sep = pending;
          }
        }
        pending = '\0';
        after_paren = false;
      }
      out.digits.push_back(c);
      ++current;
      continue;
    }
    if (c == '(' && out.plus && out.groups.size() == 1 && current == 0 &&
        s.substr(i, 3) == "(0)") {  // trunk prefix written after the country code: "+254 (0) 712"
      i += 2;
      pending = '\0';
      after_paren = true;
      continue;
    }
    if (c == '(') {
      if (in_paren || out.paren_group >= 0 || pending == '(') return false;
      if (current > 0) out.groups.push_back(current), current = 0;
      in_paren = true;
      out.paren_group = static_cast<int>(out.groups.size());
      pending = '\0';
      continue;
    }
    if (c == ')') {
      if (!in_paren || current == 0) return false;
      in_paren = false;
      out.groups.push_back(current), current = 0;
      after_paren = true;
      continue;
    }
    // ' ', '-', '.': one at a time, never two in a row.
    if (pending != '\0' || in_paren) return false;
    if (c == '.') out.dots = true;
    if (after_paren && c == ' ') continue;  // "(415) 555-0132"
    pending = c;
    if (current > 0) out.groups.push_back(current), current = 0;
  }
  if (in_paren || pending != '\0') return false;
  if (current > 0) out.groups.push_back(current);
  return true;
}

bool grouping_is(const Shape& s, std::initializer_list<int> sizes) {
  return std::equal(s.groups.begin(), s.groups.end(), sizes.begin(), sizes.end());
}

// Returns the confidence for a number written in international form, or 0 when it is not one.
double international(const Shape& s) {
  for (std::size_t len = 1; len <= 3 && len < s.digits.size(); ++len) {
    const std::string_view cc(s.digits.data(), len);
    if (!assigned_country_code(cc)) continue;
    // The country code is its own group or the start of the first one ("+447700 900123",
    // "+254712 345 678"), never split over two.
    if (s.groups[0] < static_cast<int>(len)) return 0.0;
    // A national trunk 0 kept after the country code ("+2540712...") is a common slip; Italy
    // (+39) is the one plan where the 0 belongs to the number.
    std::size_t start = len;
    double confidence = 0.95;
    if (s.digits[start] == '0' && cc != "39") ++start, confidence = 0.85;
    const int nsn = static_cast<int>(s.digits.size() - start);
    for (const CountryPlan& plan : kPlans) {
      if (plan.code != cc) continue;
      if (nsn < plan.min_nsn || nsn > plan.max_nsn) return 0.0;
      // North America: area code and exchange start 2-9.
      if (cc == "1" && (s.digits[start] < '2' || s.digits[start + 3] < '2')) return 0.0;
      return confidence;
    }
    return (nsn >= 7 && nsn <= 13 && s.digits.size() <= 15) ? 0.85 : 0.0;
  }
  return 0.0;
}

// Returns the confidence for a national form, or 0.
double national(const Shape& s, bool context) {
  const std::string& d = s.digits;
  const std::size_t n = d.size();
  // Kenya: mobile 07xx / 01xx and Nairobi landline 020, ten digits, in any grouping
  // ("0712 345 678", "(0712) 345 678", "0712.345.678").
  const bool kenyan_prefix = d[1] == '7' || (d[1] == '1' && (d[2] == '0' || d[2] == '1'));
  if (n == 10 && d[0] == '0' && kenyan_prefix && s.paren_group <= 0) return 0.85;
  if (s.dots && !(grouping_is(s, {3, 3, 4}))) return 0.0;
  if (n == 10 && d.compare(0, 3, "020") == 0 && s.groups.size() > 1) return 0.75;
  // Kenyan MSISDN written without '+', as M-Pesa statements and SMS gateways do: 2547xxxxxxxx.
  if (n == 12 && d.compare(0, 3, "254") == 0 && (d[3] == '7' || d[3] == '1')) return 0.8;
  // North America: (NPA) NXX-XXXX or NPA-NXX-XXXX, optionally 1-NPA-NXX-XXXX.
  const bool nanp10 = n == 10 && d[0] >= '2' && d[3] >= '2';
  if (nanp10 && grouping_is(s, {3, 3, 4})) return s.paren_group == 0 ? 0.85 : 0.75;
  if (n == 11 && d[0] == '1' && d[1] >= '2' && d[4] >= '2' && grouping_is(s, {1, 3, 3, 4}))
    return 0.75;
  // United Kingdom: 0 + ten digits, area codes 01/02/03, mobiles 07, grouped.
  if (n == 11 && d[0] == '0' && std::string_view("12378").find(d[1]) != std::string_view::npos &&
      (s.groups.size() > 1 || context))
    return 0.75;
  // Anything else national-looking only next to a telephone word.
  if (context && d[0] == '0' && n >= 9 && n <= 11) return 0.6;
  if (context && nanp10 && s.groups.size() == 1) return 0.6;
  return 0.0;
}

double confidence_of(std::string_view candidate, bool context) {
  Shape shape;
  if (!parse(candidate, shape)) return 0.0;
  if (shape.digits.size() < 7 || shape.digits.size() > 15) return 0.0;
  return shape.plus ? international(shape) : national(shape, context);
}

// The end of an extension written right after a number ("x4587", " ext. 12", " ext:4587",
// " extension 3"), or 0 when none follows.
std::size_t extension_after(std::string_view text, std::size_t pos) {
  std::size_t i = pos;
  if (i < text.size() && text[i] == ' ') ++i;
  auto lower = [&](std::size_t k) {
    return k < text.size() ? static_cast<char>(std::tolower(static_cast<unsigned char>(text[k])))
                           : '\0';
  };
  if (lower(i) == 'x') {
    ++i;
  } else if (lower(i) == 'e' && lower(i + 1) == 'x' && lower(i + 2) == 't') {
    i += 3;
    if (text.substr(i, 6) == "ension") i += 6;
    if (i < text.size() && (text[i] == '.' || text[i] == ':')) ++i;
    if (i < text.size() && text[i] == ' ') ++i;
  } else {
    return 0;
  }
  const std::size_t digits_from = i;
  while (i < text.size() && is_digit(text[i]) && i - digits_from < 6) ++i;
  if (i == digits_from || (i < text.size() && text::is_word_char(text::decode(text, i).code_point)))
    return 0;
  if (pos < text.size() && text[pos] == ' ' && lower(pos + 1) == 'x' && i - digits_from < 2)
    return 0;  // " x 5" is prose more often than an extension
  return i;
}

}  // namespace

std::size_t country_code_length(std::string_view digits) noexcept {
  for (std::size_t len = 1; len <= 3 && len < digits.size(); ++len)
    if (assigned_country_code(digits.substr(0, len))) return len;
  return 0;
}

// The numbering-plan forms: international, national, MSISDN, NANP, UK.
static bool full_phone_check(Candidate& c) {
  const std::string_view text = c.text;
  // "(+254) 712 345 678": the pattern starts at '+'; take the parenthesis in.
  if (text[c.begin] == '+' && c.begin > 0 && text[c.begin - 1] == '(') --c.begin;
  // The pattern may stop on a separator or an unmatched parenthesis; trim to digits.
  while (c.end > c.begin && !is_digit(text[c.end - 1])) --c.end;
  while (c.begin < c.end && text[c.begin] == ')') ++c.begin;
  if (c.begin >= c.end) return false;
  if (text[c.begin] == '(' && text.substr(c.begin, c.end - c.begin).find(')') == std::string::npos)
    ++c.begin;

  // Surroundings: part of a longer token, a time, a decimal amount, a percentage. A label glued
  // on ("tel:", "phone=", "msisdn=") and a field separator ("Jane,0712345678,Nairobi") are not:
  // the character before those is a letter, not a digit. A slash between two numbers
  // ("0712345678/0733111222") is only accepted for a number whose shape alone makes it a phone.
  bool needs_strong_shape = false;
  const auto letter_before = [&](std::size_t pos) {
    if (pos == 0) return false;
    const text::Decoded d = text::decode_before(text, pos);
    return text::is_word_char(d.code_point) && !(d.code_point >= '0' && d.code_point <= '9');
  };
  if (c.begin > 0) {
    const text::Decoded prev = text::decode_before(text, c.begin);
    if (text::is_word_char(prev.code_point)) return false;
    const char p = text[c.begin - 1];
    if (p == '-' || p == '.' || p == '#' || p == '+' || p == '$' || p == '_' || p == '\\')
      return false;
    if ((p == ':' || p == '=') && !letter_before(c.begin - 1)) return false;
    if ((p == ',' || p == ';') && c.begin >= 2 && is_digit(text[c.begin - 2])) return false;
    if (p == '/') needs_strong_shape = true;
  }
  std::size_t extension_end = 0;  // "345-899-3560x4587", "0712 345 678 ext. 12"
  if (c.end < text.size()) {
    const text::Decoded next = text::decode(text, c.end);
    const char n = text[c.end];
    extension_end = extension_after(text, c.end);
    if (extension_end == 0 && text::is_word_char(next.code_point)) return false;
    const bool followed_by_digit = c.end + 1 < text.size() && is_digit(text[c.end + 1]);
    if ((n == '-' || n == '.' || n == ':') && followed_by_digit) return false;
    if ((n == ',' || n == '/') && followed_by_digit) needs_strong_shape = true;
    if (n == '%') return false;
    if (n == '/' && !followed_by_digit) return false;
  }

  // A number followed by an unrelated group ("+254 712 345 678 2024") is still found: drop
  // trailing groups until the rest has a valid shape. Shapes are judged first as if a telephone
  // word were near (the most permissive reading), so most look-alikes cost no context search.
  const std::size_t original_end = c.end;
  double confidence = 0.0;
  while (c.end > c.begin) {
    confidence = confidence_of(text.substr(c.begin, c.end - c.begin), true);
    if (confidence > 0.0) break;
    const std::size_t sep = text.substr(c.begin, c.end - c.begin).find_last_of(" .-/");
    if (sep == std::string_view::npos) return false;
    c.end = c.begin + sep;
    while (c.end > c.begin && !is_digit(text[c.end - 1])) --c.end;
  }
  if (confidence <= 0.0 || (c.end != original_end && is_digit(text[c.end]))) return false;
  if (c.end != original_end) extension_end = 0;
  const std::string_view written = text.substr(c.begin, c.end - c.begin);
  const double by_shape = confidence_of(written, false);  // what the number alone says
  // Slashed groups ("0712/345/678") are as often a reference or a fraction: only a number whose
  // shape alone makes it a phone.
  if (written.find('/') != std::string_view::npos) needs_strong_shape = true;
  if (needs_strong_shape && by_shape < 0.8) return false;
  const bool context = has_context(text, c.begin, c.end, kPhoneContext, 32);
  if (!context) {
    if (by_shape <= 0.0) return false;
    confidence = by_shape;
    // Reference and money words lower the confidence of a number that is a phone by its shape
    // ("Refund KES 200 to 0712345678" is still masked); they reject the weaker national shapes.
    // "+254..." is a phone whatever stands before it.
    const bool plus_form = written.starts_with('+') || written.starts_with("(+");
    if (!plus_form && has_context(text, c.begin, c.end, kReferenceContext, 24)) {
      if (confidence < 0.8) return false;
      confidence = 0.5;
    }
  }
  if (extension_end != 0) c.end = extension_end;
  c.confidence = context ? std::min(0.99, confidence + 0.1) : confidence;
  return true;
}

std::string local_phone_pattern() {
  std::string words;
  for (const auto& w : kPhoneContext) {
    if (!words.empty()) words += '|';
    for (const char ch : w) {
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != ' ') words += '\\';
      words += ch;
    }
  }
  return "(?i:\\b(?:" + words + ")\\b)[^0-9\\n]{0,24}\\b[1-9]\\d{1,3}(?:[ .\\-]\\d{2,4}){1,3}\\b";
}

bool phone_check(Candidate& c) {
  // A candidate of the local-number form starts with its telephone word: start at the number.
  if (text::is_word_char(text::decode(c.text, c.begin).code_point) && !is_digit(c.text[c.begin])) {
    std::size_t number = c.text.substr(0, c.end).find_first_of("0123456789", c.begin);
    if (number == std::string_view::npos) return false;
    if (number > c.begin && (c.text[number - 1] == '+' || c.text[number - 1] == '(')) --number;
    c.begin = number;
  }
  const Candidate as_found = c;
  if (full_phone_check(c)) return true;
  c = as_found;
  // A local number needs its telephone word, and no reference word nearer than that.
  // Only words before the number count against it ("call me on 3085 4968 after KES 500").
  const std::string_view before = c.text.substr(0, c.end);
  if (!local_phone_check(c) || !has_context(c.text, c.begin, c.end, kPhoneContext, 32) ||
      has_context(before, c.begin, c.end, kReferenceContext, 24))
    return false;
  c.confidence = 0.7;
  return true;
}

bool local_phone_check(Candidate& c) {
  // "call me on 9472 7916", "answering at 516 466 638": a local number without trunk prefix,
  // in two to four groups of 2-4 digits. Only next to a telephone word (the spec requires one).
  const std::string_view text = c.text;
  if (c.begin > 0) {
    const text::Decoded prev = text::decode_before(text, c.begin);
    const char p = text[c.begin - 1];
    if (text::is_word_char(prev.code_point) ||
        std::string_view("-./#+$_:=,").find(p) != std::string_view::npos)
      return false;
  }
  if (c.end < text.size()) {
    const text::Decoded next = text::decode(text, c.end);
    const char n = text[c.end];
    if (text::is_word_char(next.code_point) || n == '%') return false;
    if (std::string_view("-./:,").find(n) != std::string_view::npos && c.end + 1 < text.size() &&
        is_digit(text[c.end + 1]))
      return false;
  }
  int digits = 0, groups = 0, run = 0;
  char sep = '\0';
  for (std::size_t i = c.begin; i < c.end; ++i) {
    const char ch = text[i];
    if (is_digit(ch)) {
      ++digits, ++run;
      continue;
    }
    if (run < 2 || run > 4 || (sep != '\0' && ch != sep)) return false;
    sep = ch, run = 0, ++groups;
  }
  if (run < 2 || run > 4) return false;
  ++groups;
  if (groups < 2 || digits < 7 || digits > 10) return false;
  // "called on 2023-10-16", "seen 16.10.2023": dates have a local number's grouping.
  const std::string_view written = text.substr(c.begin, c.end - c.begin);
  if (sep != ' ' && date_valid(written)) return false;
  if (groups == 3 && (written.substr(0, 2) == "19" || written.substr(0, 2) == "20") &&
      written[4] == sep)
    return false;  // yyyy-mm-dd shaped, even when not a valid date
  return true;
}

}  // namespace anonkit::detect
