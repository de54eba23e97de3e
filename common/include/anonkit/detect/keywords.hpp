// Keyword dictionaries: many words of many types found in one pass by walking a trie from each
// position a whole word can start at (the FlashText idea), whole-word on both sides,
// case-insensitive (Unicode simple case folding), and leftmost-longest so "New York City" wins over
// "New York". The cost per text byte does not depend on the dictionary's size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace anonkit::detect {

struct KeywordHit {
  std::size_t begin;   // byte offset of the first byte of the match
  std::size_t end;     // byte offset one past the last byte
  std::uint32_t type;  // index into KeywordDictionary::types()
};

class KeywordDictionary {
 public:
  KeywordDictionary();
  ~KeywordDictionary();
  KeywordDictionary(KeywordDictionary&&) noexcept;
  KeywordDictionary& operator=(KeywordDictionary&&) noexcept;
  KeywordDictionary(const KeywordDictionary&) = delete;
  KeywordDictionary& operator=(const KeywordDictionary&) = delete;

  // Adds a keyword of a type. Leading/trailing white space is trimmed; runs of inner white space
  // match exactly one space-like character run in text. Throws InvalidArgument for an empty keyword
  // or invalid UTF-8. The same keyword with two types keeps the first.
  void add(std::string_view keyword, std::string_view type);

  // Finds every keyword occurrence: non-overlapping, leftmost first, longest at a position; a match
  // must not be preceded or followed by a letter, digit or underscore (Unicode-aware). Invalid
  // UTF-8 in `text` never matches across the bad bytes and never crashes.
  [[nodiscard]] std::vector<KeywordHit> find_all(std::string_view text) const;

  // The longest keyword matching at byte `pos` of `text` and ending at a word boundary, as its
  // end offset (0 when none; its type in *type). ASCII case folding only, no check before `pos`:
  // for callers that already stand at a word start (proper names at capitals).
  [[nodiscard]] std::size_t longest_at(std::string_view text, std::size_t pos,
                                       std::uint32_t* type) const;

  [[nodiscard]] const std::vector<std::string>& types() const noexcept { return types_; }
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

 private:
  struct Automaton;
  template <typename Byte, typename Starts, typename Word, typename Origin>
  void walk(std::size_t n, Byte byte, Starts starts, Word word, Origin origin,
            std::vector<KeywordHit>& hits) const;
  std::unique_ptr<Automaton> automaton_;
  std::vector<std::string> types_;
};

}  // namespace anonkit::detect
