#include "people_places.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>
#include <unordered_map>

#include "anonkit/detect/keywords.hpp"
#include "anonkit/text/utf8.hpp"
#include "detect_lists.hpp"

namespace anonkit::detect {
namespace {

struct Word {
  std::size_t begin, end;
  bool capitalized;
  std::string lower;  // ASCII-lowered (non-ASCII bytes kept)
};

// Every listed word once, with what it is (one hash lookup per capitalized word).
enum : std::uint8_t { kGiven = 1, kSurname = 2, kStop = 4, kTitle = 8, kPlaceContext = 16 };

struct Lists {
  std::unordered_map<std::string, std::uint8_t> words;  // lower case; titles may hold spaces
  std::size_t longest_phrase_words = 1;  // titles and place phrases
  KeywordDictionary places;

  Lists() {
    auto lower = [](std::string s) {
      for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      return s;
    };
    for (const auto& n : lists::given_names()) words[lower(n)] |= kGiven;
    for (const auto& n : lists::surnames()) words[lower(n)] |= kSurname;
    for (const auto& w : lists::stopwords()) words[lower(w)] |= kStop;
    auto phrase = [&](const std::string& t, std::uint8_t flag) {
      words[lower(t)] |= flag;
      longest_phrase_words = std::max<std::size_t>(
          longest_phrase_words, 1 + static_cast<std::size_t>(std::count(t.begin(), t.end(), ' ')));
    };
    for (const auto& t : lists::titles()) phrase(t, kTitle);
    for (const auto& t : lists::place_context()) phrase(t, kPlaceContext);
    for (const auto& p : lists::places()) places.add(p, "LOCATION");
  }
  [[nodiscard]] std::uint8_t of(const std::string& w) const {
    const auto it = words.find(w);
    return it == words.end() ? 0 : it->second;
  }
};
bool known(std::uint8_t f) { return (f & (kGiven | kSurname)) != 0 && (f & kStop) == 0; }
bool name_like(std::uint8_t f) { return (f & (kGiven | kSurname)) != 0; }
bool stop(std::uint8_t f) { return (f & kStop) != 0 && !name_like(f); }

const Lists& lists_instance() {
  static const Lists instance;
  return instance;
}

bool is_upper_start(std::string_view text, std::size_t pos) {
  const auto c = static_cast<unsigned char>(text[pos]);
  if (c < 0x80) return c >= 'A' && c <= 'Z';
  const text::Decoded d = text::decode(text, pos);
  return d.code_point != text::kInvalidCodePoint && text::to_lower(d.code_point) != d.code_point;
}

// A letter of any script (not a digit) at `p`; its length in `len`.
bool letter_at(std::string_view text, std::size_t p, std::size_t& len) {
  const auto c = static_cast<unsigned char>(text[p]);
  if (c < 0x80) {
    len = 1;
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  }
  const text::Decoded d = text::decode(text, p);
  len = d.length;
  return d.code_point != text::kInvalidCodePoint && text::is_word_char(d.code_point) &&
         !(d.code_point >= '0' && d.code_point <= '9');
}

bool letter_before(std::string_view text, std::size_t p) {
  if (p == 0) return false;
  const auto c = static_cast<unsigned char>(text[p - 1]);
  if (c < 0x80) return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  const text::Decoded d = text::decode_before(text, p);
  return d.code_point != text::kInvalidCodePoint && text::is_word_char(d.code_point);
}

// The word starting at `begin` (a letter not preceded by one): letters, with an apostrophe or
// hyphen inside ("Murang'a", "Wa-Njeri"). Glued to digits, '@' or '_' it is part of a code or an
// address ("MBR-004211", "jane.doe@"): `glued` is set.
Word word_at(std::string_view text, std::size_t begin) {
  std::size_t i = begin, len = 0;
  while (i < text.size()) {
    if (letter_at(text, i, len)) {
      i += len;
      continue;
    }
    std::size_t next = 0;
    if ((text[i] == '\'' || text[i] == '-') && i + 1 < text.size() &&
        letter_at(text, i + 1, next)) {
      i += 1;
      continue;
    }
    break;
  }
  const auto digit_at = [&](std::size_t p) {
    return p < text.size() && std::isdigit(static_cast<unsigned char>(text[p])) != 0;
  };
  Word w{begin, i, false, {}};
  const bool glued = (begin > 0 && (digit_at(begin - 1) || text[begin - 1] == '@' ||
                                    text[begin - 1] == '_' || text[begin - 1] == '.')) ||
                     (i < text.size() && (digit_at(i) || text[i] == '@' || text[i] == '_' ||
                                          ((text[i] == '-' || text[i] == '/') && digit_at(i + 1))));
  // An acronym (two or more capitals and nothing else: "KES", "MBR", "NHIF") is not a name.
  bool acronym = i - begin >= 2;
  for (std::size_t k = begin; k < i && acronym; ++k) acronym = text[k] >= 'A' && text[k] <= 'Z';
  w.capitalized = !glued && !acronym && is_upper_start(text, begin);
  return w;
}

std::string lowered(std::string_view text, const Word& w) {
  std::string out(text.substr(w.begin, w.end - w.begin));
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

// The word that ends before `pos` with at most three characters of gap ("Mr ", "Dr. ", "ni: "),
// or a word with begin == end when there is none.
Word word_before(std::string_view text, std::size_t pos) {
  std::size_t e = pos, gap = 0;
  while (e > 0 && gap <= 3 && !letter_before(text, e)) --e, ++gap;
  if (gap > 3 || e == 0) return {pos, pos, false, {}};
  std::size_t b = e;
  while (b > 0 && (letter_before(text, b) || ((text[b - 1] == '\'' || text[b - 1] == '-') &&
                                              b >= 2 && letter_before(text, b - 1)))) {
    if (static_cast<unsigned char>(text[b - 1]) < 0x80) {
      --b;
    } else {
      b -= text::decode_before(text, b).length;
    }
  }
  Word w{b, e, false, {}};
  w.lower = lowered(text, w);
  return w;
}

// Neighbours in one name: one space between, or ". " after an abbreviation.
bool adjacent(std::string_view text, const Word& a, const Word& b) {
  const std::string_view gap = text.substr(a.end, b.begin - a.end);
  return gap == " " || gap == ". " || gap == ".";
}

}  // namespace

void find_people_and_places(std::string_view text, std::uint32_t person, std::uint32_t location,
                            std::vector<Entity>& out) {
  const Lists& L = lists_instance();
  // A capitalized place name is a LOCATION, and its words are no one's name: looked up at the
  // same capitals the names start at, so both take one pass.
  auto place_at = [&](std::size_t pos) { return L.places.longest_at(text, pos, nullptr); };

  // A title or context phrase (kTitle) or a place phrase (kPlaceContext) right before `pos`.
  auto phrase_before = [&](std::size_t pos, std::uint8_t flag) {
    std::string phrase;
    std::size_t at = pos;
    for (std::size_t n = 1; n <= L.longest_phrase_words; ++n) {
      const Word w = word_before(text, at);
      if (w.begin == w.end) return false;
      phrase = n == 1 ? w.lower : w.lower + " " + phrase;
      if ((L.of(phrase) & flag) != 0) {
        // After a number it is a unit, not a title: "under 100 ms. Access grows".
        std::size_t b = w.begin;
        while (b > 0 && text[b - 1] == ' ') --b;
        return !(b > 0 && text[b - 1] >= '0' && text[b - 1] <= '9');
      }
      at = w.begin;
    }
    return false;
  };

  // Only capitalized words can start a name: find them without looking at the others.
  const std::size_t size = text.size();
  std::size_t p = 0;
  while (p < size) {
    // Eight bytes at a time while none is a capital or non-ASCII (most of any text): the
    // "has a byte between m and n" test of Bit Twiddling Hacks, for 'A'..'Z', plus the high bits.
    while (p + 8 <= size) {
      std::uint64_t x;
      std::memcpy(&x, text.data() + p, 8);
      constexpr std::uint64_t kOnes = ~std::uint64_t{0} / 255;
      constexpr std::uint64_t m = 'A' - 1, n = 'Z' + 1;
      const std::uint64_t low7 = x & kOnes * 127;
      const std::uint64_t upper =
          (kOnes * (127 + n) - low7) & ~x & (low7 + kOnes * (127 - m)) & kOnes * 128;
      if (upper != 0 || (x & kOnes * 128) != 0) break;
      p += 8;
    }
    if (p >= size) break;
    const auto c = static_cast<unsigned char>(text[p]);
    if (!((c >= 'A' && c <= 'Z') || c >= 0x80) || letter_before(text, p)) {
      ++p;
      continue;
    }
    std::size_t len = 0;
    if (!letter_at(text, p, len)) {
      p += len;
      continue;
    }
    Word first = word_at(text, p);
    if (!first.capitalized) {
      p = std::max(first.end, p + 1);
      continue;
    }
    first.lower = lowered(text, first);
    if (const std::size_t place_end = place_at(first.begin); place_end > 0) {
      out.push_back({first.begin, place_end, location, 0.7});
      p = place_end;
      continue;
    }
    const std::uint8_t first_flags = L.of(first.lower);
    if ((first_flags & (kTitle | kPlaceContext)) != 0 || stop(first_flags)) {
      p = first.end;
      continue;
    }
    // A run of capitalized words, up to four, stopping at stop words and places; only its end
    // and how many of its words are names are kept (no allocation per run).
    Word last = first;
    std::size_t n = 1;
    int n_known = known(first_flags) ? 1 : 0, n_name_like = name_like(first_flags) ? 1 : 0;
    bool organisation = false;
    while (n < 4) {
      const std::size_t gap_end = std::min(size, last.end + 2);
      std::size_t q = last.end;
      while (q < gap_end && (text[q] == ' ' || text[q] == '.')) ++q;
      if (q == last.end || q >= size || !letter_at(text, q, len)) break;
      Word next = word_at(text, q);
      if (!next.capitalized || !adjacent(text, last, next) || place_at(next.begin) > 0) break;
      const std::uint8_t next_flags = L.of(lowered(text, next));
      if ((next_flags & (kTitle | kPlaceContext)) != 0) break;  // "... Iten. Anaishi Lodwar"
      if (stop(next_flags)) {
        // An organisation word right after the run in the same sentence ("Kenyatta National
        // Hospital") makes it the name of something else; after a full stop ("Achieng
        // Odhiambo. She said") the run simply ends.
        organisation = next.begin == last.end + 1;
        break;
      }
      n_known += known(next_flags) ? 1 : 0;
      n_name_like += name_like(next_flags) ? 1 : 0;
      last = std::move(next);
      ++n;
    }
    double confidence = 0.0;
    if (!organisation && n <= 2 && n_known == 0 && phrase_before(first.begin, kPlaceContext)) {
      // "lives in Iten": a place the list does not hold (two words only within one sentence).
      const std::size_t end = n == 2 && text.substr(first.end, 1) == " " &&
                                      last.begin == first.end + 1
                                  ? last.end
                                  : first.end;
      out.push_back({first.begin, end, location, 0.6});
      p = end;
      continue;
    }
    if (!organisation) {
      if (phrase_before(first.begin, kTitle))
        confidence = 0.85;
      else if (n >= 2 && n_known >= 2)
        confidence = 0.85;
      else if (n >= 2 && n_known >= 1)
        confidence = 0.75;
      else if (n >= 2 && n_name_like >= 2)
        confidence = 0.7;  // "Grace Mercy": two names, each also a word
      else if (n == 1 && n_known == 1)
        confidence = 0.6;
    }
    if (confidence > 0.0) out.push_back({first.begin, last.end, person, confidence});
    p = last.end;
  }
}

}  // namespace anonkit::detect
