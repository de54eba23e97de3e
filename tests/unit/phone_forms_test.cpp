// PHONE on the text people write: the leak cases measured on public corpora and red-team inputs
// (labels and separators glued on, CSV fields, extensions, odd groupings, Unicode spaces, dashes
// and digits, local numbers after a telephone word, money and reference words near a valid
// number). Each case names the exact span that must be found, in the original's bytes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "anonkit/detect/scanner.hpp"

namespace anonkit::detect {
namespace {

std::vector<std::string> phones(std::string_view text) {
  const Scanner& s = *Scanner::builtin();
  std::vector<std::string> out;
  for (const Entity& e : s.scan(text))
    if (s.types()[e.type] == "PHONE") out.emplace_back(text.substr(e.begin, e.end - e.begin));
  return out;
}

struct Case {
  const char* text;
  std::vector<std::string> expected;
};

class PhoneForms : public ::testing::TestWithParam<Case> {};
TEST_P(PhoneForms, FindsEveryNumberWhole) {
  EXPECT_EQ(phones(GetParam().text), GetParam().expected) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    LeakCases, PhoneForms,
    ::testing::Values(
        Case{"tel:+254712345678", {"+254712345678"}}, Case{"phone=0712345678", {"0712345678"}},
        Case{"Phone:0712-345-678", {"0712-345-678"}},
        Case{"msisdn=254712345678&status=ok", {"254712345678"}},
        Case{"Jane,0712345678,Nairobi", {"0712345678"}},
        Case{"id;name;phone\n7;Jane;0712345678", {"0712345678"}},
        Case{"0712345678/0733111222", {"0712345678", "0733111222"}},
        Case{"345-899-3560x4587", {"345-899-3560x4587"}},
        Case{"office 0712 345 678 ext. 12 after 5", {"0712 345 678 ext. 12"}},
        Case{"+447700 921 916", {"+447700 921 916"}}, Case{"(0712) 345 678", {"(0712) 345 678"}},
        Case{"+254712 345 678", {"+254712 345 678"}}, Case{"0712.345.678", {"0712.345.678"}},
        Case{"call 0712\u00a0345\u00a0678", {"0712\u00a0345\u00a0678"}},
        Case{"+254\u2009712\u2009345\u2009678", {"+254\u2009712\u2009345\u2009678"}},
        Case{"0712\u200b345678", {"0712\u200b345678"}},
        Case{"0712\u2013345\u2013678", {"0712\u2013345\u2013678"}},
        Case{"simu \uff10\uff17\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
             {"\uff10\uff17\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18"}},
        Case{"\u0660\u0667\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",
             {"\u0660\u0667\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668"}},
        Case{"call me on 9472 7916", {"9472 7916"}},
        Case{"answering at 516 466 638", {"516 466 638"}},
        Case{"Refund KES 200 to 0712345678", {"0712345678"}},
        Case{"card declined, invoice sent to 0712345678", {"0712345678"}},
        Case{"call 0712/345/678 now", {"0712/345/678"}},
        // Still not phones: times, amounts, dates, references without a phone's shape.
        Case{"at 12:30:45, paid 1,234,567", {}}, Case{"ratio 2024/2025", {}},
        Case{"ref 12345678", {}}, Case{"room 9472 7916", {}}, Case{"v1.2.3 build 4567 8901", {}},
        Case{"total 3,500,000", {}}, Case{"called on 2023-10-16", {}},
        Case{"call me about invoice 2024 0042", {}}, Case{"phone us before 16.10.2023", {}},
        Case{"ref 0712/2024/001 and 01/02/2024", {}}, Case{"case 012/345/6789", {}}));

TEST(PhoneForms, AReferenceWordLowersTheConfidenceOfAValidNumber) {
  const Scanner& s = *Scanner::builtin();
  const auto near_ref = s.scan("invoice 0712345678");
  ASSERT_EQ(near_ref.size(), 1u);
  const auto plain = s.scan("jane 0712345678");
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_LT(near_ref[0].confidence, plain[0].confidence);
  EXPECT_LE(near_ref[0].confidence, 0.5);
}

}  // namespace
}  // namespace anonkit::detect
