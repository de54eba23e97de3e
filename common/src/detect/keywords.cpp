// A trie of case-folded keywords, walked from every position where a whole-word match can start
// (the text's start and after every non-word character). Keywords match whole words only, so no
// match can start anywhere else, and a walk stops at the first byte the trie does not have: the
// cost per position is the length of the longest keyword prefix found there, not a function of
// the dictionary's size (an Aho-Corasick automaton over every position walked failure links deep
// into large dictionaries: 9.6 MB/s with 126,000 keywords). The text is folded once, with a map
// from each folded byte back to the original, so matches are reported in the original's bytes
// even when folding changes a character's length.
#include "anonkit/detect/keywords.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "anonkit/error.hpp"
#include "anonkit/text/utf8.hpp"

namespace anonkit::detect {
namespace {

// A byte that never occurs in valid UTF-8: fed for invalid input so nothing matches across it.
constexpr unsigned char kBarrier = 0xFF;

bool is_space(char32_t c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == 0xA0 ||
         c == 0x2007 || c == 0x202F || (c >= 0x2000 && c <= 0x200A) || c == 0x3000;
}

// The folded form of one code point, as it is fed to the automaton.
char32_t fold(char32_t c) noexcept { return is_space(c) ? U' ' : text::to_lower(c); }

}  // namespace

struct KeywordDictionary::Automaton {
  struct Node {
    std::vector<std::pair<unsigned char, int>> next;  // sorted by byte
    int keyword = -1;                                 // keyword ending here
  };
  struct Keyword {
    std::size_t folded_length;
    std::uint32_t type;
  };

  std::vector<Node> nodes{Node{}};
  std::vector<Keyword> keywords;
  std::array<int, 256> root{};  // dense transitions of the root
  std::atomic<bool> built{false};
  std::mutex build_mutex;

  int child(int s, unsigned char b) const noexcept {
    if (s == 0) return root[b];
    const auto& next = nodes[static_cast<std::size_t>(s)].next;
    if (next.size() <= 8) {
      for (const auto& [byte, target] : next)
        if (byte == b) return target;
      return -1;
    }
    const auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(b, -1));
    return it != next.end() && it->first == b ? it->second : -1;
  }

  void build() {
    std::lock_guard<std::mutex> lock(build_mutex);
    if (built.load(std::memory_order_acquire)) return;
    root.fill(-1);
    for (const auto& [byte, target] : nodes[0].next) root[byte] = target;
    built.store(true, std::memory_order_release);
  }
};

KeywordDictionary::KeywordDictionary() : automaton_(std::make_unique<Automaton>()) {}
KeywordDictionary::~KeywordDictionary() = default;
KeywordDictionary::KeywordDictionary(KeywordDictionary&&) noexcept = default;
KeywordDictionary& KeywordDictionary::operator=(KeywordDictionary&&) noexcept = default;

std::size_t KeywordDictionary::size() const noexcept { return automaton_->keywords.size(); }

void KeywordDictionary::add(std::string_view keyword, std::string_view type) {
  if (!text::valid(keyword))
    throw InvalidArgument("anonkit: keyword must be valid UTF-8 text; it has an invalid byte at " +
                          std::to_string(text::first_invalid(keyword)));
  // Fold, trim, and collapse inner white space to one space.
  std::string folded;
  bool pending_space = false;
  for (std::size_t i = 0; i < keyword.size();) {
    const text::Decoded d = text::decode(keyword, i);
    i += d.length;
    const char32_t c = fold(d.code_point);
    if (c == U' ') {
      pending_space = !folded.empty();
      continue;
    }
    if (pending_space) folded.push_back(' ');
    pending_space = false;
    unsigned char buf[4];
    folded.append(reinterpret_cast<const char*>(buf), text::encode(c, buf));
  }
  if (folded.empty())
    throw InvalidArgument(fmt::format(
        "anonkit: keyword must be non-empty text (not only white space), got '{}'", keyword));

  Automaton& a = *automaton_;
  int s = 0;
  for (const char ch : folded) {
    const auto b = static_cast<unsigned char>(ch);
    auto& next = a.nodes[static_cast<std::size_t>(s)].next;
    const auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(b, -1));
    if (it != next.end() && it->first == b) {
      s = it->second;
      continue;
    }
    const int created = static_cast<int>(a.nodes.size());
    next.insert(it, {b, created});  // `next` may be invalidated by the push below: insert first
    a.nodes.emplace_back();
    s = created;
  }
  Automaton::Node& end = a.nodes[static_cast<std::size_t>(s)];
  if (end.keyword >= 0) return;  // the same keyword again: the first type stays
  auto found = std::find(types_.begin(), types_.end(), type);
  if (found == types_.end()) found = types_.insert(types_.end(), std::string(type));
  end.keyword = static_cast<int>(a.keywords.size());
  a.keywords.push_back({folded.size(), static_cast<std::uint32_t>(found - types_.begin())});
  a.built.store(false, std::memory_order_release);
}

namespace {

// ASCII folding as the automaton sees it: lower case, white space as ' '.
constexpr std::array<unsigned char, 128> kAsciiFold = [] {
  std::array<unsigned char, 128> t{};
  for (int c = 0; c < 128; ++c) {
    t[c] = static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') t[c] = ' ';
  }
  return t;
}();
constexpr std::array<bool, 128> kAsciiWord = [] {
  std::array<bool, 128> t{};
  for (int c = 0; c < 128; ++c)
    t[c] = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  return t;
}();

bool all_ascii(std::string_view s) noexcept {
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if ((w & 0x8080808080808080ULL) != 0) return false;
  }
  for (; i < s.size(); ++i)
    if (static_cast<unsigned char>(s[i]) >= 0x80) return false;
  return true;
}

}  // namespace

// Walks from the start and after every non-word code point over a folded byte sequence of n
// bytes: byte(j), starts(j) (a code point begins at folded byte j; true at n), word(j) (that code
// point is a word character; false at n), origin(j) (its original offset; the text's size at n).
// The longest whole-word match at a position wins and the next walk starts after it.
template <typename Byte, typename Starts, typename Word, typename Origin>
void KeywordDictionary::walk(std::size_t n, Byte byte, Starts starts, Word word, Origin origin,
                             std::vector<KeywordHit>& hits) const {
  const Automaton& a = *automaton_;
  bool prev_word = false;
  for (std::size_t i = 0; i < n;) {
    if (!starts(i)) {
      ++i;
      continue;
    }
    const bool here_word = word(i);
    if (!prev_word) {
      std::size_t best_end = 0;
      std::uint32_t best_type = 0;
      int s = 0;
      for (std::size_t j = i; j < n; ++j) {
        s = a.child(s, byte(j));
        if (s < 0) break;
        const int k = a.nodes[static_cast<std::size_t>(s)].keyword;
        if (k >= 0 && starts(j + 1) && !word(j + 1)) {
          best_end = j + 1;
          best_type = a.keywords[static_cast<std::size_t>(k)].type;
        }
      }
      if (best_end > 0) {
        hits.push_back({origin(i), origin(best_end), best_type});
        i = best_end;
        prev_word = false;  // what follows a match is not a word character
        continue;
      }
    }
    prev_word = here_word;
    ++i;
  }
}

std::size_t KeywordDictionary::longest_at(std::string_view text, std::size_t pos,
                                          std::uint32_t* type) const {
  const Automaton& a = *automaton_;
  if (a.keywords.empty()) return 0;
  if (!a.built.load(std::memory_order_acquire)) automaton_->build();
  const auto* t = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t best = 0;
  int s = 0;
  for (std::size_t j = pos; j < size; ++j) {
    s = a.child(s, t[j] < 0x80 ? kAsciiFold[t[j]] : t[j]);
    if (s < 0) break;
    const int k = a.nodes[static_cast<std::size_t>(s)].keyword;
    // A non-ASCII byte after the match counts as a letter: never a boundary.
    if (k >= 0 && (j + 1 == size || (t[j + 1] < 0x80 && !kAsciiWord[t[j + 1]]))) {
      best = j + 1;
      if (type != nullptr) *type = a.keywords[static_cast<std::size_t>(k)].type;
    }
  }
  return best;
}

std::vector<KeywordHit> KeywordDictionary::find_all(std::string_view text) const {
  std::vector<KeywordHit> hits;
  const Automaton& a = *automaton_;
  if (a.keywords.empty() || text.empty()) return hits;
  if (!a.built.load(std::memory_order_acquire)) automaton_->build();
  const auto* t = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  if (all_ascii(text)) {  // the common case: no folded copy, offsets are the text's own
    walk(
        size, [&](std::size_t j) { return kAsciiFold[t[j]]; }, [](std::size_t) { return true; },
        [&](std::size_t j) { return j < size && kAsciiWord[t[j]]; },
        [](std::size_t j) { return j; }, hits);
    return hits;
  }
  // Otherwise fold once. Per folded byte: the original offset of its code point, and flags
  // (1: first folded byte of a code point, 2: and that code point is a word character).
  thread_local std::string folded;
  thread_local std::vector<std::uint32_t> origin;
  thread_local std::vector<unsigned char> flags;
  folded.clear(), origin.clear(), flags.clear();
  for (std::size_t pos = 0; pos < size;) {
    unsigned char buf[4];
    std::size_t n = 1, len = 1;
    bool is_word = false;
    if (t[pos] < 0x80) {
      buf[0] = kAsciiFold[t[pos]];
      is_word = kAsciiWord[t[pos]];
    } else {
      const text::Decoded d = text::decode(text, pos);
      len = d.length;
      if (d.code_point == text::kInvalidCodePoint) {
        buf[0] = kBarrier;
      } else {
        n = text::encode(fold(d.code_point), buf);
        is_word = text::is_word_char(d.code_point);
      }
    }
    for (std::size_t k = 0; k < n; ++k) {
      folded.push_back(static_cast<char>(buf[k]));
      origin.push_back(static_cast<std::uint32_t>(pos));
      flags.push_back(k == 0 ? (is_word ? 3 : 1) : 0);
    }
    pos += len;
  }
  origin.push_back(static_cast<std::uint32_t>(size));
  flags.push_back(1);
  walk(
      folded.size(), [&](std::size_t j) { return static_cast<unsigned char>(folded[j]); },
      [&](std::size_t j) { return (flags[j] & 1) != 0; },
      [&](std::size_t j) { return (flags[j] & 2) != 0; },
      [&](std::size_t j) { return static_cast<std::size_t>(origin[j]); }, hits);
  if (folded.capacity() > (std::size_t{1} << 20)) {
    std::string().swap(folded);
    std::vector<std::uint32_t>().swap(origin);
    std::vector<unsigned char>().swap(flags);
  }
  return hits;
}

}  // namespace anonkit::detect
