// Cards, IBANs, KRA PINs and national IDs as people write them (the leak cases measured on public
// corpora): each names the exact span that must be found, or that nothing may be.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "anonkit/detect/scanner.hpp"

namespace anonkit::detect {
namespace {

struct Case {
  const char* text;
  const char* type;  // nullptr: nothing may be found
  const char* match;
};

class IdForms : public ::testing::TestWithParam<Case> {};
TEST_P(IdForms, FindsTheExactSpan) {
  const Scanner& s = *Scanner::builtin();
  const std::string_view text = GetParam().text;
  const auto found = s.scan(text);
  if (GetParam().type == nullptr) {
    EXPECT_TRUE(found.empty()) << text << ": " << s.types()[found[0].type];
    return;
  }
  ASSERT_EQ(found.size(), 1u) << text;
  EXPECT_EQ(s.types()[found[0].type], GetParam().type) << text;
  EXPECT_EQ(text.substr(found[0].begin, found[0].end - found[0].begin), GetParam().match) << text;
}

INSTANTIATE_TEST_SUITE_P(
    LeakCases, IdForms,
    ::testing::Values(
        // Luhn-valid after a card word: 12-digit Maestro, 15-digit JCB 1800 and 2131.
        Case{"card 501800000009", "CREDIT_CARD", "501800000009"},
        Case{"JCB card 180000000000002", "CREDIT_CARD", "180000000000002"},
        Case{"card no 213100000000001", "CREDIT_CARD", "213100000000001"},
        // Mixed and doubled separators, slashes, NBSP.
        Case{"card 4111 1111-1111 1111", "CREDIT_CARD", "4111 1111-1111 1111"},
        Case{"visa 4111  1111  1111  1111", "CREDIT_CARD", "4111  1111  1111  1111"},
        Case{"card 4111/1111/1111/1111", "CREDIT_CARD", "4111/1111/1111/1111"},
        Case{"card 4111\u00a01111\u00a01111\u00a01111", "CREDIT_CARD",
             "4111\u00a01111\u00a01111\u00a01111"},
        // IBANs in lower case, with dashes, grouped oddly.
        Case{"iban gb82west12345698765432", "IBAN", "gb82west12345698765432"},
        Case{"pay to GB82-WEST-1234-5698-7654-32 now", "IBAN", "GB82-WEST-1234-5698-7654-32"},
        Case{"GB82 WEST12 3456 98765432 thanks", "IBAN", "GB82 WEST12 3456 98765432"},
        // KRA PIN in lower case next to its word; national IDs glued to a label or grouped.
        Case{"kra pin a012345678z", "KE_KRA_PIN", "a012345678z"},
        Case{"ID:12345678", "KE_NATIONAL_ID", "12345678"},
        Case{"ID 1234 5678", "KE_NATIONAL_ID", "1234 5678"},
        Case{"idno=2345678;", "KE_NATIONAL_ID", "2345678"},
        // Still nothing: Luhn-invalid after a card word, a lower-case PIN shape without its word,
        // an ID shape without an ID word, a lower-case IBAN shape with bad check digits.
        Case{"card 4111 1111-1111 1112", nullptr, nullptr},
        Case{"code a012345678z", nullptr, nullptr}, Case{"room 1234 5678", nullptr, nullptr},
        Case{"ref gb82west12345698765433", nullptr, nullptr}));

}  // namespace
}  // namespace anonkit::detect
