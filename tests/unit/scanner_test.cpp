// The scanner against known positives and hard negatives for every recognizer: what it must find,
// exactly where, and the look-alikes it must leave alone.
#include "anonkit/detect/scanner.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "anonkit/error.hpp"

namespace anonkit::detect {
namespace {

struct Hit {
  std::string type;
  std::string match;
  bool operator==(const Hit&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Hit& h) {
  return os << h.type << ":'" << h.match << "'";
}

std::vector<Hit> hits(const Scanner& scanner, std::string_view text) {
  std::vector<Hit> out;
  for (const Entity& e : scanner.scan(text))
    out.push_back({scanner.types()[e.type], std::string(text.substr(e.begin, e.end - e.begin))});
  return out;
}
std::vector<Hit> hits(std::string_view text) { return hits(*Scanner::builtin(), text); }

struct Case {
  const char* text;
  const char* type;   // nullptr: nothing may be found
  const char* match;  // the exact span
};

class Positive : public ::testing::TestWithParam<Case> {};
// The pattern recognizers' cases: people and places in the same sentences ("London 020 ...")
// are found too, and are left out of the comparison (tests/unit/people_places_test.cpp).
std::vector<Hit> pattern_hits(std::string_view text) {
  std::vector<Hit> out = hits(text);
  std::erase_if(out, [](const Hit& h) { return h.type == "PERSON" || h.type == "LOCATION"; });
  return out;
}

TEST_P(Positive, FindsExactSpan) {
  const Case& c = GetParam();
  EXPECT_EQ(pattern_hits(c.text), (std::vector<Hit>{{c.type, c.match}})) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Recognizers, Positive,
    ::testing::Values(
        Case{"mail jane.doe@example.com now", "EMAIL", "jane.doe@example.com"},
        Case{"<a.b+tag@mail.co.ke>", "EMAIL", "a.b+tag@mail.co.ke"},
        Case{"typo jane..doe@example.com", "EMAIL", "jane..doe@example.com"},
        Case{"call +254 712 345 678 today", "PHONE", "+254 712 345 678"},
        Case{"call +254712345678.", "PHONE", "+254712345678"},
        Case{"mobile 0712 345 678", "PHONE", "0712 345 678"},
        Case{"alt: 0722-345-678", "PHONE", "0722-345-678"},
        Case{"new line 0110 123 456", "PHONE", "0110 123 456"},
        Case{"M-Pesa from 254712345678", "PHONE", "254712345678"},
        Case{"US office +1 (415) 555-0132", "PHONE", "+1 (415) 555-0132"},
        Case{"office (415) 555-0132", "PHONE", "(415) 555-0132"},
        Case{"London +44 20 7946 0958", "PHONE", "+44 20 7946 0958"},
        Case{"London 020 7946 0958", "PHONE", "020 7946 0958"},
        Case{"from Kampala 00256 712 345678", "PHONE", "00256 712 345678"},
        Case{"card says +254 (0) 712 345 678", "PHONE", "+254 (0) 712 345 678"},
        Case{"card says (+254) 712 345 678", "PHONE", "(+254) 712 345 678"},
        Case{"typed +2540712345678 by mistake", "PHONE", "+2540712345678"},
        Case{"Rome +39 06 1234 5678", "PHONE", "+39 06 1234 5678"},
        Case{"Berlin +49 30 1234567", "PHONE", "+49 30 1234567"},
        Case{"Paris +33 1 23 45 67 89", "PHONE", "+33 1 23 45 67 89"},
        Case{"Mumbai +91 98765 43210", "PHONE", "+91 98765 43210"},
        Case{"Dar +255 754 123 456", "PHONE", "+255 754 123 456"},
        Case{"Dubai +971 50 123 4567", "PHONE", "+971 50 123 4567"},
        Case{"toll free 1-800-555-0199", "PHONE", "1-800-555-0199"},
        Case{"US 415.555.0132", "PHONE", "415.555.0132"},
        Case{"card 4111 1111 1111 1111 expired", "CREDIT_CARD", "4111 1111 1111 1111"},
        Case{"card 4111-1111-1111-1111", "CREDIT_CARD", "4111-1111-1111-1111"},
        Case{"pan=5555555555554444;", "CREDIT_CARD", "5555555555554444"},
        Case{"amex 3782 822463 10005", "CREDIT_CARD", "3782 822463 10005"},
        Case{"card 4111 1111 1111 1111 2024 renewal", "CREDIT_CARD", "4111 1111 1111 1111"},
        Case{"IBAN GB82 WEST 1234 5698 7654 32.", "IBAN", "GB82 WEST 1234 5698 7654 32"},
        Case{"to DE89370400440532013000", "IBAN", "DE89370400440532013000"},
        Case{"SSN 123-45-6789", "US_SSN", "123-45-6789"},
        Case{"ssn: 123456789", "US_SSN", "123456789"},
        Case{"national ID 12345678", "KE_NATIONAL_ID", "12345678"},
        Case{"ID no. 23456789 verified", "KE_NATIONAL_ID", "23456789"},
        Case{"kitambulisho 2345678", "KE_NATIONAL_ID", "2345678"},
        Case{"KRA PIN A012345678Z", "KE_KRA_PIN", "A012345678Z"},
        Case{"pin P051234567K filed", "KE_KRA_PIN", "P051234567K"},
        Case{"passport no. AK1234567", "PASSPORT", "AK1234567"},
        Case{"from 192.168.1.77 at", "IP_ADDRESS", "192.168.1.77"},
        Case{"host 2001:db8::1 down", "IP_ADDRESS", "2001:db8::1"},
        Case{"mapped ::ffff:192.0.2.128", "IP_ADDRESS", "::ffff:192.0.2.128"},
        Case{"nic 00:1A:2B:3C:4D:5E", "MAC_ADDRESS", "00:1A:2B:3C:4D:5E"},
        Case{"nic 00-1a-2b-3c-4d-5e", "MAC_ADDRESS", "00-1a-2b-3c-4d-5e"},
        Case{"cisco 001a.2b3c.4d5e", "MAC_ADDRESS", "001a.2b3c.4d5e"},
        Case{"see https://example.com/p?a=1.", "URL", "https://example.com/p?a=1"},
        Case{"(www.example.org)", "URL", "www.example.org"},
        Case{"https://en.wikipedia.org/wiki/Foo_(bar) x", "URL",
             "https://en.wikipedia.org/wiki/Foo_(bar)"},
        Case{"born 1984-03-12 in Nyeri", "DATE_OF_BIRTH", "1984-03-12"},
        Case{"DOB: 12/03/1984", "DATE_OF_BIRTH", "12/03/1984"},
        Case{"DOB 03/31/1984", "DATE_OF_BIRTH", "03/31/1984"},
        Case{"date of birth 12 March 1984", "DATE_OF_BIRTH", "12 March 1984"},
        Case{"born March 12, 1984", "DATE_OF_BIRTH", "March 12, 1984"}));

class Negative : public ::testing::TestWithParam<const char*> {};
TEST_P(Negative, FindsNothing) {
  EXPECT_EQ(pattern_hits(GetParam()), std::vector<Hit>{}) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(
    HardNegatives, Negative,
    ::testing::Values(
        // Not phones: timestamps, amounts, references, versions, bare numbers.
        "logged 2024-03-15 14:32:10 by system", "paid KES 45,000.00 on approval",
        "limit KSh 1,250,000 per year", "invoice INV-20240315-0042 settled",
        "policy POL/2023/88412 renewed", "claim CLM-2024-0001932 opened", "portal v2.4.1 update",
        "build 10.2.3.4.5 released", "ref 12345678 noted", "total 1,234,567 shillings",
        "ICD-10 E11.9 and B54", "time 12:30:45.123456",
        "+999 123 456 789",   // unassigned country code
        "+1 (015) 555-0132",  // NANP area codes never start with 0 or 1
        // Not cards: bad Luhn, no issuer, mixed separators.
        "card 4111 1111 1111 1112", "9111 1111 1111 1113", "4111 1111 1111 1112",
        // Not IBANs, SSNs.
        "IBAN GB82 WEST 1234 5698 7654 33", "ssn 000-12-3456", "ssn 666-12-3456", "ssn 900-12-3456",
        "ssn 123-00-4567", "ssn 123-45-0000", "number 123456789",
        // Context words match whole words only ("id" is not inside "valid" or "idle").
        "valid 12345678", "idle 12345678", "12345678", "AK1234567",
        // KRA PIN shape, IPs and MACs that are not.
        "A01234567Z", "B012345678Z", "256.1.1.1 is not an address", "v1.2.3.4", "00:1A-2B:3C:4D:5E",
        "std::vector<int>", "a::b",
        // Dates without birth context, or impossible dates.
        "admitted 2024-03-15", "born 1984-02-30", "born 1899-01-01",
        // Mail-like and URL-like text that is not.
        "user@localhost", "a@-bad-.com", "http://nohost"));

TEST(Scanner, CardIsNotAlsoAPhone) {
  EXPECT_EQ(hits("pay 4111111111111111 call 0712345678"),
            (std::vector<Hit>{{"CREDIT_CARD", "4111111111111111"}, {"PHONE", "0712345678"}}));
}

TEST(Scanner, SeveralEntitiesInOrder) {
  EXPECT_EQ(hits("Wanjiru (jane@example.com, +254 712 345 678) paid with 5555 5555 5555 4444; "
                 "KRA PIN A012345678Z"),
            (std::vector<Hit>{{"PERSON", "Wanjiru"},
                              {"EMAIL", "jane@example.com"},
                              {"PHONE", "+254 712 345 678"},
                              {"CREDIT_CARD", "5555 5555 5555 4444"},
                              {"KE_KRA_PIN", "A012345678Z"}}));
}

TEST(Scanner, ByteOffsetsAroundMultiByteText) {
  const std::string text = "Müller — 😀 jane@example.com";
  const auto found = Scanner::builtin()->scan(text);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].begin, text.find("jane"));
  EXPECT_EQ(found[0].end, text.size());
}

TEST(Scanner, NonAsciiLetterGluedToNumberIsNotAPhone) {
  EXPECT_EQ(hits("é0712345678"), std::vector<Hit>{});
  EXPECT_EQ(hits("é 0712345678"), (std::vector<Hit>{{"PHONE", "0712345678"}}));
}

TEST(Scanner, InvalidUtf8NeverCrashesAndStillFinds) {
  const std::string text = "\xFF\xFE call 0712 345 678 \xC3";
  EXPECT_EQ(hits(text), (std::vector<Hit>{{"PHONE", "0712 345 678"}}));
}

TEST(Scanner, EmptyAndHugeText) {
  EXPECT_TRUE(Scanner::builtin()->scan("").empty());
  std::string big(20'000'000, 'a');
  big += " jane@example.com";
  const auto found = Scanner::builtin()->scan(big);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].begin, 20'000'001u);
}

TEST(Scanner, UserPatternsAndKeywords) {
  const Scanner scanner({{"MEMBER_NO", R"(\bMBR-\d{6}\b)"}},
                        {{"PERSON", "Ann"}, {"PERSON", "Wanjiru Kamau"}, {"FACILITY", "Aga Khan"}});
  EXPECT_EQ(
      hits(scanner, "Ann filed the Annual report for MBR-123456 at aga khan"),
      (std::vector<Hit>{{"PERSON", "Ann"}, {"MEMBER_NO", "MBR-123456"}, {"FACILITY", "aga khan"}}));
  EXPECT_EQ(hits(scanner, "Annual"), std::vector<Hit>{});
  EXPECT_EQ(hits(scanner, "WANJIRU KAMAU, 0712345678"),
            (std::vector<Hit>{{"PERSON", "WANJIRU KAMAU"}, {"PHONE", "0712345678"}}));
  EXPECT_GE(scanner.type_index("member_no"), 0);
  EXPECT_EQ(scanner.type_index("NOPE"), -1);
}

TEST(Scanner, BadUserConfigurationIsAClearError) {
  auto message = [](auto&& build) {
    try {
      build();
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([] {
              Scanner s({{"X", "("}}, {});
            }).find("anonkit: pattern for type X is not valid RE2"),
            std::string::npos);
  EXPECT_NE(message([] {
              Scanner s({{"X", "a*"}}, {});
            }).find("matches the empty string"),
            std::string::npos);
  EXPECT_NE(message([] {
              Scanner s({{"lower", "abc"}}, {});
            }).find("upper case"),
            std::string::npos);
  EXPECT_NE(message([] {
              Scanner s({}, {{"bad type", "x"}});
            }).find("anonkit_keywords.type"),
            std::string::npos);
}

TEST(Scanner, DescribesEveryBuiltinTypeOnce) {
  const auto info = Scanner::builtin()->describe();
  std::vector<std::string> names;
  for (const auto& t : info) names.push_back(t.type);
  EXPECT_EQ(names, (std::vector<std::string>{"EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN",
                                             "KE_NATIONAL_ID", "KE_KRA_PIN", "PASSPORT",
                                             "IP_ADDRESS", "MAC_ADDRESS", "URL", "DATE_OF_BIRTH",
                                             "LOCATION", "PERSON"}));
}

}  // namespace
}  // namespace anonkit::detect
