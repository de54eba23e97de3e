// Aho-Corasick over the UTF-8 bytes of case-folded text. Text is folded one code point at a time as
// it is fed, and a small ring remembers where each folded byte came from, so matches are reported
// in byte offsets of the original text even when folding changes a character's length.
#include "anonkit/detect/keywords.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <queue>
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
    int fail = 0;
    int keyword = -1;  // keyword ending here
    int dict = -1;     // nearest proper suffix state where a keyword ends
  };
  struct Keyword {
    std::size_t folded_length;
    std::uint32_t type;
  };

  std::vector<Node> nodes{Node{}};
  std::vector<Keyword> keywords;
  std::array<int, 256> root{};  // dense transitions of the root (most bytes land here)
  std::size_t max_length = 0;
  std::atomic<bool> built{false};
  std::mutex build_mutex;

  int child(int s, unsigned char b) const noexcept {
    if (s == 0) return root[b];
    const auto& next = nodes[static_cast<std::size_t>(s)].next;
    for (const auto& [byte, target] : next)
      if (byte == b) return target;
    return -1;
  }

  int step(int s, unsigned char b) const noexcept {
    while (true) {
      const int t = child(s, b);
      if (t >= 0) return t;
      if (s == 0) return 0;
      s = nodes[static_cast<std::size_t>(s)].fail;
    }
  }

  void build() {
    std::lock_guard<std::mutex> lock(build_mutex);
    if (built.load(std::memory_order_acquire)) return;
    root.fill(-1);
    for (const auto& [byte, target] : nodes[0].next) root[byte] = target;
    std::queue<int> queue;
    for (auto& [byte, target] : nodes[0].next) {
      nodes[static_cast<std::size_t>(target)].fail = 0;
      queue.push(target);
    }
    while (!queue.empty()) {
      const int s = queue.front();
      queue.pop();
      for (const auto& [byte, target] : nodes[static_cast<std::size_t>(s)].next) {
        int f = nodes[static_cast<std::size_t>(s)].fail;
        while (f != 0 && child(f, byte) < 0) f = nodes[static_cast<std::size_t>(f)].fail;
        const int via = child(f, byte);
        Node& t = nodes[static_cast<std::size_t>(target)];
        t.fail = (via >= 0 && via != target) ? via : 0;
        const Node& fail_node = nodes[static_cast<std::size_t>(t.fail)];
        t.dict = fail_node.keyword >= 0 ? t.fail : fail_node.dict;
        queue.push(target);
      }
    }
    for (int& r : root)
      if (r < 0) r = 0;
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
  a.max_length = std::max(a.max_length, folded.size());
  a.built.store(false, std::memory_order_release);
}

std::vector<KeywordHit> KeywordDictionary::find_all(std::string_view text) const {
  std::vector<KeywordHit> hits;
  const Automaton& a = *automaton_;
  if (a.keywords.empty() || text.empty()) return hits;
  if (!a.built.load(std::memory_order_acquire)) automaton_->build();

  // ring[i % size]: original byte offset of the code point that produced folded byte i.
  std::size_t ring_size = 64;
  while (ring_size < a.max_length + 8) ring_size *= 2;
  std::vector<std::size_t> ring(ring_size);
  const std::size_t mask = ring_size - 1;

  std::vector<KeywordHit> candidates;
  std::size_t folded_pos = 0;
  int state = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    unsigned char buf[4];
    std::size_t n;
    std::size_t len;
    if (lead < 0x80) {  // ASCII fast path
      buf[0] = (lead >= 'A' && lead <= 'Z') ? static_cast<unsigned char>(lead + 32)
               : (lead == '\t' || lead == '\n' || lead == '\r' || lead == '\f' || lead == '\v')
                   ? static_cast<unsigned char>(' ')
                   : lead;
      n = 1;
      len = 1;
    } else {
      const text::Decoded d = text::decode(text, pos);
      len = d.length;
      if (d.code_point == text::kInvalidCodePoint) {
        buf[0] = kBarrier;
        n = 1;
      } else {
        n = text::encode(fold(d.code_point), buf);
      }
    }
    for (std::size_t k = 0; k < n; ++k) {
      ring[(folded_pos + k) & mask] = pos;
      state = a.step(state, buf[k]);
    }
    folded_pos += n;
    pos += len;
    const auto& node = a.nodes[static_cast<std::size_t>(state)];
    for (int t = node.keyword >= 0 ? state : node.dict; t >= 0;
         t = a.nodes[static_cast<std::size_t>(t)].dict) {
      const auto& kw =
          a.keywords[static_cast<std::size_t>(a.nodes[static_cast<std::size_t>(t)].keyword)];
      const std::size_t begin = ring[(folded_pos - kw.folded_length) & mask];
      const bool left_ok =
          begin == 0 || !text::is_word_char(text::decode_before(text, begin).code_point);
      const bool right_ok =
          pos == text.size() || !text::is_word_char(text::decode(text, pos).code_point);
      if (left_ok && right_ok) candidates.push_back({begin, pos, kw.type});
    }
  }
  // Leftmost first; at the same start the longest; never overlapping.
  std::sort(candidates.begin(), candidates.end(), [](const KeywordHit& x, const KeywordHit& y) {
    return x.begin != y.begin ? x.begin < y.begin : x.end > y.end;
  });
  std::size_t taken_end = 0;
  for (const KeywordHit& c : candidates) {
    if (!hits.empty() && c.begin < taken_end) continue;
    hits.push_back(c);
    taken_end = c.end;
  }
  return hits;
}

}  // namespace anonkit::detect
