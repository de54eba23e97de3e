// The keyword automaton: whole words, any case in any script, leftmost-longest, correct byte
// offsets, and a randomized comparison with a naive matcher.
#include "anonkit/detect/keywords.hpp"

#include <gtest/gtest.h>

#include <random>

#include "anonkit/error.hpp"

namespace anonkit::detect {
namespace {

std::vector<std::string> found(const KeywordDictionary& d, std::string_view text) {
  std::vector<std::string> out;
  for (const KeywordHit& h : d.find_all(text))
    out.push_back(std::string(text.substr(h.begin, h.end - h.begin)) + "/" + d.types()[h.type]);
  return out;
}

using V = std::vector<std::string>;

TEST(Keywords, WholeWordsOnly) {
  KeywordDictionary d;
  d.add("apple", "FRUIT");
  d.add("Ann", "PERSON");
  EXPECT_EQ(found(d, "apples and pineapple, apple."), V{"apple/FRUIT"});
  EXPECT_EQ(found(d, "Annual report by Ann"), V{"Ann/PERSON"});
  EXPECT_EQ(found(d, "ann_x Ann2 xAnn"), V{});
  EXPECT_EQ(found(d, "(Ann)"), V{"Ann/PERSON"});
}

TEST(Keywords, LongestAtAPositionAndFallback) {
  KeywordDictionary d;
  d.add("New York", "LOCATION");
  d.add("New York City", "LOCATION");
  d.add("York", "LOCATION");
  EXPECT_EQ(found(d, "I love New York City!"), V{"New York City/LOCATION"});
  EXPECT_EQ(found(d, "New York Cityscape"), V{"New York/LOCATION"});  // longest is not whole-word
  EXPECT_EQ(found(d, "old York"), V{"York/LOCATION"});
}

TEST(Keywords, CaseInsensitiveInAnyScript) {
  KeywordDictionary d;
  d.add("josé", "PERSON");
  d.add("Ärzte", "GROUP");
  d.add("Ωmega", "GREEK");
  EXPECT_EQ(found(d, "JOSÉ met the ÄRZTE, ωMEGA"),
            (V{"JOSÉ/PERSON", "ÄRZTE/GROUP", "ωMEGA/GREEK"}));
  EXPECT_EQ(found(d, "josékun"), V{});  // é is a letter: no boundary inside
}

TEST(Keywords, ByteOffsetsAroundMultiByteText) {
  KeywordDictionary d;
  d.add("müller", "PERSON");
  const std::string text = "😀 Herr MÜLLER — ok";
  const auto hits = d.find_all(text);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].begin, text.find("MÜLLER"));
  EXPECT_EQ(hits[0].end, text.find("MÜLLER") + std::string("MÜLLER").size());
}

TEST(Keywords, ClassicOverlapsAndPunctuation) {
  KeywordDictionary d;
  for (const char* k : {"he", "she", "hers", "his"}) d.add(k, "W");
  EXPECT_EQ(found(d, "she, he and hers; his"), (V{"she/W", "he/W", "hers/W", "his/W"}));
  KeywordDictionary p;
  p.add("o'brien", "PERSON");
  p.add("st. mary", "PLACE");
  EXPECT_EQ(found(p, "O'Brien at St. Mary's"),
            (V{"O'Brien/PERSON", "St. Mary/PLACE"}));  // possessive
  EXPECT_EQ(found(p, "St.  Mary, St.\tMary"), (V{"St.\tMary/PLACE"}));
}

TEST(Keywords, EdgesAndBadInput) {
  KeywordDictionary d;
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(found(d, "anything"), V{});
  d.add("  Wanjiru  ", "PERSON");
  d.add("wanjiru", "OTHER");  // duplicate after folding: the first type stays
  EXPECT_EQ(d.size(), 1u);
  EXPECT_EQ(found(d, ""), V{});
  EXPECT_EQ(found(d, "Wanjiru"), V{"Wanjiru/PERSON"});
  EXPECT_EQ(found(d, "\xffWanjiru\xfe"), V{"Wanjiru/PERSON"});  // invalid bytes are boundaries
  EXPECT_EQ(found(d, "Wanj\xffiru"), V{});
  EXPECT_THROW(d.add("", "X"), InvalidArgument);
  EXPECT_THROW(d.add("   ", "X"), InvalidArgument);
  EXPECT_THROW(d.add("bad\xff", "X"), InvalidArgument);
}

// Naive reference: every keyword at every position, whole-word, then leftmost-longest.
std::vector<std::pair<std::size_t, std::size_t>> naive(const std::vector<std::string>& keys,
                                                       const std::string& text) {
  auto word = [](char c) { return c != ' '; };  // the alphabet below: letters and spaces
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t taken = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i < taken) continue;
    std::size_t best = 0;
    for (const auto& k : keys) {
      if (text.compare(i, k.size(), k) != 0) continue;
      const std::size_t e = i + k.size();
      if ((i == 0 || !word(text[i - 1])) && (e == text.size() || !word(text[e])))
        best = std::max(best, k.size());
    }
    if (best > 0) {
      out.emplace_back(i, i + best);
      taken = i + best;
    }
  }
  return out;
}

TEST(Keywords, AgreesWithNaiveMatcher) {
  std::mt19937 rng(7);
  const std::string alphabet = "ab ";
  auto random_string = [&](std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
    return s;
  };
  for (int round = 0; round < 2000; ++round) {
    std::vector<std::string> keys;
    KeywordDictionary d;
    for (int k = 0; k < 4; ++k) {
      std::string key = random_string(1 + rng() % 4);
      while (!key.empty() && key.front() == ' ') key.erase(0, 1);
      while (!key.empty() && key.back() == ' ') key.pop_back();
      if (key.empty() || key.find("  ") != std::string::npos) continue;
      keys.push_back(key);
      d.add(key, "T");
    }
    const std::string text = random_string(rng() % 30);
    std::vector<std::pair<std::size_t, std::size_t>> got;
    for (const auto& h : d.find_all(text)) got.emplace_back(h.begin, h.end);
    ASSERT_EQ(got, naive(keys, text)) << "text '" << text << "'";
  }
}

}  // namespace
}  // namespace anonkit::detect
