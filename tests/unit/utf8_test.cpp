// UTF-8 decoding and character counting, checked against the rules SQLite itself uses.
#include "anonkit/text/utf8.hpp"

#include <gtest/gtest.h>

using namespace anonkit::text;

TEST(Utf8, DecodesEachLength) {
  EXPECT_EQ(decode("a", 0).code_point, U'a');
  EXPECT_EQ(decode("\xC3\xA9", 0).code_point, U'é');
  EXPECT_EQ(decode("\xE2\x82\xAC", 0).code_point, U'€');
  EXPECT_EQ(decode("\xF0\x9F\x98\x80", 0).code_point, U'😀');
  EXPECT_EQ(decode("\xF0\x9F\x98\x80", 0).length, 4u);
}

TEST(Utf8, RejectsOverlongsSurrogatesAndTruncation) {
  EXPECT_EQ(decode("\xC0\xAF", 0).code_point, kInvalidCodePoint);          // overlong '/'
  EXPECT_EQ(decode("\xED\xA0\x80", 0).code_point, kInvalidCodePoint);      // surrogate D800
  EXPECT_EQ(decode("\xF4\x90\x80\x80", 0).code_point, kInvalidCodePoint);  // > U+10FFFF
  EXPECT_EQ(decode("\xE2\x82", 0).code_point, kInvalidCodePoint);          // truncated
  EXPECT_EQ(decode("\xE2\x82", 0).length, 1u);                             // always advances
  EXPECT_EQ(first_invalid("abc\xFF"), 3u);
  EXPECT_EQ(first_invalid("abcdefghij\xC3\xA9xy\xC3"), 14u);  // truncated after the fast path
  EXPECT_TRUE(valid("Müller — 😀"));
}

TEST(Utf8, DecodeBefore) {
  const std::string s = "a\xC3\xA9";
  EXPECT_EQ(decode_before(s, 3).code_point, U'é');
  EXPECT_EQ(decode_before(s, 1).code_point, U'a');
  EXPECT_EQ(decode_before("\x80", 1).code_point, kInvalidCodePoint);
}

TEST(Utf8, CharCountMatchesSqliteLength) {
  EXPECT_EQ(char_count("Müller", 6), 5u);  // the first six bytes hold M, ü, l, l, e
  EXPECT_EQ(char_count("😀x", 5), 2u);
  EXPECT_EQ(char_count("", 0), 0u);
}

TEST(Utf8, WordCharsAndCase) {
  EXPECT_TRUE(is_word_char(U'é'));
  EXPECT_TRUE(is_word_char(U'Ж'));
  EXPECT_TRUE(is_word_char(U'7'));
  EXPECT_FALSE(is_word_char(U' '));
  EXPECT_FALSE(is_word_char(U'—'));
  EXPECT_FALSE(is_word_char(kInvalidCodePoint));
  EXPECT_EQ(to_lower(U'É'), U'é');
  EXPECT_EQ(to_lower(U'Ä'), U'ä');
  EXPECT_EQ(to_lower(U'Q'), U'q');
}
