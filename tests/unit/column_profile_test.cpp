// The inventory core: shapes that never hold a value, shares, and suggestions, on columns planted
// by this test (not the demo's generator).
#include <gtest/gtest.h>

#include <random>
#include <regex>
#include <string>

#include "anonkit/inventory/column_profile.hpp"

namespace anonkit::inventory {
namespace {

std::string phone(std::mt19937& rng) {
  return "+2547" + std::to_string(10000000 + rng() % 89999999);
}

TEST(ColumnProfile, PhoneColumn) {
  std::mt19937 rng(3);
  ColumnProfile p(detect::Scanner::builtin());
  for (int i = 0; i < 500; ++i) p.add(phone(rng));
  for (int i = 0; i < 50; ++i) p.add(std::nullopt);
  const ColumnReport r = p.report();
  EXPECT_EQ(r.sampled, 550);
  EXPECT_EQ(r.non_null, 500);
  ASSERT_FALSE(r.types.empty());
  EXPECT_EQ(r.types[0].type, "PHONE");
  EXPECT_GT(r.types[0].share, 0.98);
  EXPECT_EQ(r.shape, "+############");  // compact: no digit kept
  const auto scanner = detect::Scanner::builtin();
  EXPECT_EQ(shape_of("+254 712 345 678", scanner->scan("+254 712 345 678"), scanner->types()),
            "+254 ### ### ###");
  EXPECT_EQ(r.suggestion, "phone");
}

TEST(ColumnProfile, NotesColumnSuggestsText) {
  std::mt19937 rng(4);
  ColumnProfile p(detect::Scanner::builtin());
  for (int i = 0; i < 200; ++i)
    p.add(i % 4 == 0 ? "Customer asked about the invoice, mail them at user" + std::to_string(i) +
                           "@example.com tomorrow"
                     : std::string("Customer asked about the invoice again"));
  const ColumnReport r = p.report();
  ASSERT_EQ(r.types.size(), 1u);
  EXPECT_EQ(r.types[0].type, "EMAIL");
  EXPECT_NEAR(r.types[0].share, 0.25, 1e-9);
  EXPECT_EQ(r.suggestion, "text");
}

TEST(ColumnProfile, CleanColumnsHaveNoType) {
  ColumnProfile numbers(detect::Scanner::builtin()), words(detect::Scanner::builtin());
  for (int i = 0; i < 300; ++i) {
    numbers.add(std::to_string(i * 37 % 1000));
    words.add(i % 2 ? "pending" : "Closed");
  }
  EXPECT_FALSE(numbers.report().has_pii());
  EXPECT_EQ(numbers.report().suggestion, "");
  EXPECT_FALSE(words.report().has_pii());
}

// No letter or digit run of a planted value survives in its shape: only '#', 'a', 'A', punctuation,
// an e-mail's top-level domain and a phone's country code.
TEST(ColumnProfile, ShapesHoldNoValue) {
  std::mt19937 rng(5);
  const std::vector<std::string> planted = {
      "Jane Wanjiku, 0712345678, Nairobi", "kra pin A012345678Z", "jane.doe@clinic.co.ke",
      "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32", "ID 12345678 born 12/03/1984",
      "{\"email\":\"otieno@example.org\",\"n\":42}"};
  const auto scanner = detect::Scanner::builtin();
  for (const std::string& v : planted) {
    const std::string s = shape_of(v, scanner->scan(v), scanner->types());
    EXPECT_FALSE(std::regex_search(s, std::regex("[0-9]"))) << s;
    for (const char* word : {"Jane", "Wanjiku", "Nairobi", "jane", "doe", "clinic", "otieno",
                             "WEST", "example", "email"})
      EXPECT_EQ(s.find(word), std::string::npos) << s;
  }
  EXPECT_EQ(shape_of("jane.doe@clinic.co.ke", scanner->scan("jane.doe@clinic.co.ke"),
                     scanner->types()),
            "a***@***.ke");
  EXPECT_EQ(shape_of("x@mail.wanjiku", scanner->scan("x@mail.wanjiku"), scanner->types()),
            "a***@***");  // not a top-level domain anyone could guess: not kept
  EXPECT_EQ(shape_of("a\x1b[31mb\x07", {}, scanner->types()), "a?[##aa?");  // no control byte
  const std::string longest(500, 'x');
  EXPECT_LE(shape_of(longest, {}, scanner->types()).size(), 51u);
}

}  // namespace
}  // namespace anonkit::inventory
