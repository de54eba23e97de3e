// The scan view: what it normalises, that every span maps back to whole characters of the
// original, and that the text is used in place when nothing changes.
#include "anonkit/text/scan_view.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "anonkit/text/utf8.hpp"

namespace anonkit::text {
namespace {

TEST(ScanView, AsciiAndUnaffectedTextIsUsedInPlace) {
  for (const std::string s : {"", "call 0712 345 678", "Müller 😀 José", "\xff\xfe bad bytes"}) {
    const ScanView v(s);
    EXPECT_FALSE(v.changed()) << s;
    EXPECT_EQ(v.text().data(), s.data()) << s;
  }
}

TEST(ScanView, NormalisesSpacesDashesDigitsAndRemovesZeroWidth) {
  // NBSP, thin space, en dash, minus, zero-width space, soft hyphen, BOM.
  EXPECT_EQ(ScanView("0712\u00a0345\u2009678").text(), "0712 345 678");
  EXPECT_EQ(ScanView("0712\u2013345\u2212678").text(), "0712-345-678");
  EXPECT_EQ(ScanView("07\u200b12\u00ad345\ufeff678").text(), "0712345678");
  // Full-width forms, Arabic-Indic, Extended Arabic-Indic, Devanagari digits.
  EXPECT_EQ(
      ScanView("\uff0b\uff12\uff15\uff14 \uff57\uff41\uff4e\uff4a\uff49\uff52\uff55\uff20x.ke")
          .text(),
      "+254 wanjiru@x.ke");
  EXPECT_EQ(ScanView("\u0660\u0667\u0661\u0662").text(), "0712");
  EXPECT_EQ(ScanView("\u06f0\u06f7\u06f1\u06f2").text(), "0712");
  EXPECT_EQ(ScanView("\u0966\u096d\u0967\u0968").text(), "0712");
  EXPECT_EQ(ScanView("a\u2028b\u3000c").text(), "a\nb c");
  // Letters of other scripts and other symbols stay.
  EXPECT_EQ(ScanView("Ωmega\u2013x").text(), "Ωmega-x");
}

TEST(ScanView, SpansMapToTheOriginalsWholeCharacters) {
  const std::string s = "tel:\u200b\uff10\uff17\uff11\uff12\u00a0345\u2013678!";
  const ScanView v(s);
  ASSERT_EQ(v.text(), "tel:0712 345-678!");
  const auto [b, e] = v.original(4, 16);  // "0712 345-678"
  EXPECT_EQ(s.substr(b, e - b), "\uff10\uff17\uff11\uff12\u00a0345\u2013678");
  const auto [b1, e1] = v.original(0, 4);
  EXPECT_EQ(s.substr(b1, e1 - b1), "tel:");
}

// Round trip over random mixtures: for every character-aligned range of the view, the original
// bytes it maps to have exactly that range as their own view, and never split a sequence.
TEST(ScanView, RandomRangesRoundTrip) {
  const std::vector<std::string> pieces = {
      "a",      "7",      " ", "-", "\u00a0", "\u2009",   "\u2013", "\u200b", "\u00ad",
      "\uff17", "\u0661", "é", "😀", "\xff",   "\xe2\x80", "\uff41", "\u2028"};
  std::mt19937 rng(12345);
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    const int n = std::uniform_int_distribution<int>(0, 12)(rng);
    for (int k = 0; k < n; ++k)
      s += pieces[std::uniform_int_distribution<std::size_t>(0, pieces.size() - 1)(rng)];
    const ScanView v(s);
    const std::string_view t = v.text();
    std::vector<std::size_t> starts;  // character starts of the view
    for (std::size_t i = 0; i < t.size(); i += decode(t, i).length) starts.push_back(i);
    starts.push_back(t.size());
    for (std::size_t a = 0; a + 1 < starts.size(); ++a)
      for (std::size_t z = a + 1; z < starts.size(); ++z) {
        const auto [b, e] = v.original(starts[a], starts[z]);
        ASSERT_LE(b, e);
        ASSERT_LE(e, s.size());
        const std::string part = s.substr(b, e - b);
        ASSERT_EQ(ScanView(part).text(), t.substr(starts[a], starts[z] - starts[a])) << s;
      }
  }
}

}  // namespace
}  // namespace anonkit::text
