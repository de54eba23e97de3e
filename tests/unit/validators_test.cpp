// Validators against published known-answer values: Luhn examples, the card networks' test numbers,
// the IBAN registry's examples, the SSA's rules for social security numbers, RFC 4291 address
// forms.
#include "anonkit/detect/validators.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace anonkit::detect {
namespace {

TEST(Luhn, KnownAnswers) {
  EXPECT_TRUE(luhn_valid("79927398713"));  // the textbook example
  for (const char* bad : {"79927398710", "79927398711", "79927398712", "79927398714"})
    EXPECT_FALSE(luhn_valid(bad)) << bad;
  EXPECT_TRUE(luhn_valid("0"));
  EXPECT_TRUE(luhn_valid("18"));  // 1 doubled is 2, plus 8
  EXPECT_TRUE(luhn_valid("59"));  // 5 doubled is 10 -> 1, plus 9
  EXPECT_FALSE(luhn_valid(""));
  EXPECT_FALSE(luhn_valid("7992 7398 713"));  // digits only
  EXPECT_FALSE(luhn_valid("7992739871a"));
  EXPECT_TRUE(luhn_valid(std::string(100000, '0')));  // long input: the sum must not overflow
}

TEST(Card, NetworkTestNumbers) {
  struct Case {
    const char* number;
    const char* network;
  };
  constexpr Case kCases[] = {
      {"4111111111111111", "Visa"},         {"4111 1111 1111 1111", "Visa"},
      {"4111-1111-1111-1111", "Visa"},      {"4012888888881881", "Visa"},
      {"4222222222222", "Visa, 13 digits"}, {"5555555555554444", "Mastercard"},
      {"5105105105105100", "Mastercard"},   {"2223003122003222", "Mastercard 2-series"},
      {"378282246310005", "Amex"},          {"371449635398431", "Amex"},
      {"3782 822463 10005", "Amex 4-6-5"},  {"3782-822463-10005", "Amex 4-6-5"},
      {"6011111111111117", "Discover"},     {"6011000990139424", "Discover"},
      {"3530111333300000", "JCB"},          {"3566002020360505", "JCB"},
      {"30569309025904", "Diners"},         {"38520000023237", "Diners"},
      {"3056 930902 5904", "Diners 4-6-4"}, {"6200000000000005", "UnionPay"},
      {"6759649826438453", "Maestro"},
  };
  for (const Case& c : kCases) EXPECT_TRUE(card_valid(c.number)) << c.number << " " << c.network;
}

// Luhn-valid numbers built at each edge of the issuer table.
TEST(Card, IssuerTable) {
  for (const char* good : {
           "4000000000000000006",      // Visa, 19 digits
           "4000 0000 0000 0000 006",  // Visa, 19 digits as 4-4-4-4-3
           "5100000000000008",         // Mastercard 51
           "5500000000000004",         // Mastercard 55
           "2221000000000009",         // Mastercard 2221, first of the 2-series
           "2720000000000005",         // Mastercard 2720, last of the 2-series
           "370000000000002",          // Amex 37
           "6221260000000000",         // Discover co-branded 622126
           "6229250000000003",         // Discover co-branded 622925
           "30500000000003",           // Diners 305, 14 digits
           "3010000000000002",         // Diners 301 on the Discover network, 16 digits
           "36000000000008",           // Diners 36
           "38000000000006",           // Diners 38
           "3900000000000000008",      // Diners 39, 19 digits
           "3528000000000007",         // JCB first
           "3589000000000000009",      // JCB last, 19 digits
           "5000000000000009",         // Maestro 50
           "5600000000000003",         // Maestro 56
           "6900000000000000005",      // Maestro 69, 19 digits
       })
    EXPECT_TRUE(card_valid(good)) << good;
  for (const char* bad : {
           "40000000000002",     // Visa does not issue 14 digits
           "40000000000000006",  // nor 17
           "400000000002",       // nor 12
           "2220000000000000",   // just below the 2-series
           "2721000000000004",   // just above it
           "3400000000000000",   // Amex is 15 digits only
           "30600000000001",     // 306 is not Diners
           "3527000000000008",   // just below JCB
           "3590000000000000",   // just above it
           // Maestro 12-15 digits: refused on purpose, too many false positives.
           "675900000000",      // 12
           "675900000000005",   // 15
           "560000000000002",   // 15
           "500000000009",      // 12
           "1000000000000008",  // no issuer starts with 1
           "8000000000000003",  // nor 8
       }) {
    ASSERT_TRUE(luhn_valid(bad)) << bad;  // only the issuer rule may refuse these
    EXPECT_FALSE(card_valid(bad)) << bad;
  }
}

TEST(Card, Rejections) {
  EXPECT_FALSE(card_valid("4111111111111112"));  // Luhn
  EXPECT_FALSE(card_valid("5555555555554445"));  // Luhn
  EXPECT_FALSE(card_valid("378282246310006"));   // Luhn
  ASSERT_TRUE(luhn_valid("9000000000000001"));
  EXPECT_FALSE(card_valid("9000000000000001"));         // Luhn-valid, no issuer starts with 9
  EXPECT_FALSE(card_valid("4111 1111-1111 1111"));      // mixed separators
  EXPECT_FALSE(card_valid("3782 822463-10005"));        // mixed separators
  EXPECT_FALSE(card_valid("4111  1111 1111 1111"));     // double separator
  EXPECT_FALSE(card_valid("4111--1111-1111-1111"));     // double separator
  EXPECT_FALSE(card_valid("4111.1111.1111.1111"));      // not a card separator
  EXPECT_FALSE(card_valid("4111_1111_1111_1111"));      // not a card separator
  EXPECT_FALSE(card_valid("41111 111 1111 1111"));      // not a card grouping
  EXPECT_FALSE(card_valid("41 11 11 11 11 11 11 11"));  // not a card grouping
  EXPECT_FALSE(card_valid("378 2822 4631 0005"));       // not a card grouping
  EXPECT_FALSE(card_valid("37828 22463 10005"));        // not a card grouping
  EXPECT_FALSE(card_valid("378282246310005 "));         // trailing separator
  EXPECT_FALSE(card_valid(" 378282246310005"));         // leading separator
  EXPECT_FALSE(card_valid("5555555555554444000"));      // Mastercard is 16 digits
  EXPECT_FALSE(card_valid("411111111111"));             // Visa is not 12 digits
  EXPECT_FALSE(card_valid("40000000000000000002"));     // 20 digits, Luhn-valid
  EXPECT_FALSE(card_valid("4111 1111 1111 1111 2024"));
  EXPECT_FALSE(card_valid(""));
  EXPECT_FALSE(card_valid("4111111111111111x"));
}

// Luhn catches every single-digit substitution, so no valid card survives one.
TEST(Card, EverySingleDigitChangeIsRejected) {
  for (const std::string_view good :
       {"4111111111111111", "5555555555554444", "378282246310005", "6011111111111117",
        "3530111333300000", "30569309025904", "4222222222222", "4000000000000000006"}) {
    for (std::size_t i = 0; i < good.size(); ++i) {
      for (char c = '0'; c <= '9'; ++c) {
        if (c == good[i]) continue;
        std::string changed(good);
        changed[i] = c;
        EXPECT_FALSE(card_valid(changed)) << changed;
      }
    }
  }
}

TEST(Iban, RegistryExamples) {
  for (const char* good : {
           "GB82WEST12345698765432",
           "GB82 WEST 1234 5698 7654 32",
           "GB29NWBK60161331926819",
           "DE89370400440532013000",
           "DE89 3704 0044 0532 0130 00",
           "FR1420041010050500013M02606",
           "FR14 2004 1010 0505 0001 3M02 606",
           "NL91ABNA0417164300",
           "NL91 ABNA 0417 1643 00",
           "BE68539007547034",
           "NO9386011117947",
           "NO93 8601 1117 947",
           "MT84MALT011000012345MTLCAST001S",
           "MT84 MALT 0110 0001 2345 MTLC AST0 01S",
           "SA0380000000608010167519",
           "AE070331234567890123456",
           "CH9300762011623852957",
           "AT611904300234573201",
           "ES9121000418450200051332",
           "IT60X0542811101000000123456",
           "HN88CABF00000000000250005469",  // Honduras, registry release 99
       })
    EXPECT_TRUE(iban_valid(good)) << good;
}

// As people write them: any case, any grouping, spaces or dashes (the check digits decide).
TEST(Iban, AcceptsHowPeopleWriteIt) {
  for (const char* written :
       {"gb82west12345698765432", "GB82west12345698765432", "gB82WEST12345698765432",
        "GB82 WEST 1234 5698 76 5432", "GB82WEST 1234 5698 7654 32", "GB82-WEST-1234-5698-7654-32",
        "gb82 west 1234 5698 7654 32", "GB82 WEST12 3456 98765432"})
    EXPECT_TRUE(iban_valid(written)) << written;
  EXPECT_FALSE(iban_valid("gb82west12345698765433"));  // lower case, one character changed
  EXPECT_FALSE(iban_valid("GB82 -WEST12345698765432"));
}

TEST(Iban, Rejections) {
  EXPECT_FALSE(iban_valid("GB82WEST12345698765433"));  // one character changed
  EXPECT_FALSE(iban_valid("GB82WEST12345698765423"));  // two adjacent characters swapped
  EXPECT_FALSE(iban_valid("GB83WEST12345698765432"));  // check digits changed
  EXPECT_FALSE(iban_valid("GB82WEST1234569876543"));   // wrong length for GB
  EXPECT_FALSE(iban_valid("GB88WEST1234569876543"));   // wrong length, though mod 97 holds
  EXPECT_FALSE(iban_valid("GB82WEST123456987654321"));
  EXPECT_FALSE(iban_valid("KE37WEST12345698765432"));        // Kenya has no IBAN (mod 97 holds)
  EXPECT_FALSE(iban_valid("US64WEST12345698765432"));        // nor the US
  EXPECT_FALSE(iban_valid("BJ66BJ0610100100144390000769"));  // Benin: outside the registry
  EXPECT_FALSE(iban_valid("GB82  WEST 1234 5698 7654 32"));  // double space
  EXPECT_FALSE(iban_valid(" GB82 WEST 1234 5698 7654 32"));  // leading space
  EXPECT_FALSE(iban_valid("GB82 WEST 1234 5698 7654 32 "));  // trailing space
  EXPECT_FALSE(iban_valid("GB82\tWEST12345698765432"));
  EXPECT_FALSE(iban_valid("1282WEST12345698765432"));  // country must be letters
  EXPECT_FALSE(iban_valid("GBA2WEST12345698765432"));  // check digits must be digits
  EXPECT_FALSE(iban_valid(""));
  EXPECT_FALSE(iban_valid("GB"));
  EXPECT_FALSE(iban_valid("GB82WEST12345698765432GB82WEST12345698765432"));  // too long
}

// 00, 01 and 99 alias 97, 98 and 02 under mod 97, but ISO 13616 only issues 02-98.
TEST(Iban, CheckDigitRange) {
  EXPECT_TRUE(iban_valid("GB97WEST12345698760021"));
  EXPECT_FALSE(iban_valid("GB00WEST12345698760021"));
  EXPECT_TRUE(iban_valid("GB98WEST12345698760003"));
  EXPECT_FALSE(iban_valid("GB01WEST12345698760003"));
  EXPECT_TRUE(iban_valid("GB02WEST12345698760082"));
  EXPECT_FALSE(iban_valid("GB99WEST12345698760082"));
}

// Mod 97 catches every same-kind single-character substitution (97 is prime and does not divide
// any digit or letter difference times a power of ten).
TEST(Iban, EverySingleCharacterChangeIsRejected) {
  for (const std::string_view good : {"GB82WEST12345698765432", "FR1420041010050500013M02606",
                                      "MT84MALT011000012345MTLCAST001S", "NO9386011117947"}) {
    for (std::size_t i = 0; i < good.size(); ++i) {
      const bool digit = good[i] >= '0' && good[i] <= '9';
      for (char c = digit ? '0' : 'A'; c <= (digit ? '9' : 'Z'); ++c) {
        if (c == good[i]) continue;
        std::string changed(good);
        changed[i] = c;
        EXPECT_FALSE(iban_valid(changed)) << changed;
      }
    }
  }
}

// The registry's countries and lengths (SWIFT release 101), typed in independently of the table
// under test. For a fixed BBAN exactly one of the 97 check digits 02-98 satisfies mod 97, so each
// country must accept exactly one at its length and none a character shorter or longer.
TEST(Iban, EveryRegistryCountryAndLength) {
  struct Country {
    const char* code;
    int length;
  };
  constexpr Country kRegistry[] = {
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16},
      {"BG", 22}, {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22},
      {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20},
      {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22},
      {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HN", 28}, {"HR", 21},
      {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30},
      {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
      {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20},
      {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23},
      {"PK", 24}, {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22},
      {"RU", 33}, {"SA", 24}, {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24},
      {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26},
      {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
  };
  static_assert(std::size(kRegistry) == 89);
  const auto accepted = [](std::string_view code, int length) {
    int count = 0;
    for (int check = 2; check <= 98; ++check) {
      std::string iban(code);
      iban += static_cast<char>('0' + check / 10);
      iban += static_cast<char>('0' + check % 10);
      for (int i = 4; i < length; ++i) iban += "ABCDEFGH0123456789"[i % 18];
      count += iban_valid(iban) ? 1 : 0;
    }
    return count;
  };
  for (const Country& c : kRegistry) {
    EXPECT_EQ(accepted(c.code, c.length), 1) << c.code;
    EXPECT_EQ(accepted(c.code, c.length - 1), 0) << c.code;
    EXPECT_EQ(accepted(c.code, c.length + 1), 0) << c.code;
  }
  for (const char* outside : {"KE", "US", "BJ", "DZ", "IR", "MA", "SN", "XX"})
    for (int length = 15; length <= 34; ++length)
      EXPECT_EQ(accepted(outside, length), 0) << outside << length;
}

TEST(Ssn, Rules) {
  EXPECT_TRUE(us_ssn_valid("123-45-6789"));
  EXPECT_TRUE(us_ssn_valid("123 45 6789"));
  EXPECT_TRUE(us_ssn_valid("123456789"));
  EXPECT_TRUE(us_ssn_valid("001-01-0001"));  // the lowest of each part
  EXPECT_TRUE(us_ssn_valid("665-12-3456"));  // either side of 666
  EXPECT_TRUE(us_ssn_valid("667-12-3456"));
  EXPECT_TRUE(us_ssn_valid("899-99-9999"));   // the highest area
  EXPECT_FALSE(us_ssn_valid("123-45 6789"));  // mixed separators
  EXPECT_FALSE(us_ssn_valid("123 45-6789"));
  EXPECT_FALSE(us_ssn_valid("123-456789"));  // one separator missing
  EXPECT_FALSE(us_ssn_valid("12345-6789"));
  EXPECT_FALSE(us_ssn_valid("000-12-3456"));  // area 000
  EXPECT_FALSE(us_ssn_valid("000123456"));
  EXPECT_FALSE(us_ssn_valid("666-12-3456"));  // area 666
  EXPECT_FALSE(us_ssn_valid("666123456"));
  EXPECT_FALSE(us_ssn_valid("900-12-3456"));  // area 900-999
  EXPECT_FALSE(us_ssn_valid("999-12-3456"));
  EXPECT_FALSE(us_ssn_valid("123-00-4567"));  // group 00
  EXPECT_FALSE(us_ssn_valid("123 00 4567"));
  EXPECT_FALSE(us_ssn_valid("123-45-0000"));  // serial 0000
  EXPECT_FALSE(us_ssn_valid("123450000"));
  EXPECT_FALSE(us_ssn_valid("1234-5-6789"));  // wrong grouping
  EXPECT_FALSE(us_ssn_valid("123-456-789"));
  EXPECT_FALSE(us_ssn_valid("123--45-6789"));
  EXPECT_FALSE(us_ssn_valid("-123-45-6789"));
  EXPECT_FALSE(us_ssn_valid("123-45-6789-"));
  EXPECT_FALSE(us_ssn_valid("123.45.6789"));
  EXPECT_FALSE(us_ssn_valid("12345678"));  // wrong length
  EXPECT_FALSE(us_ssn_valid("1234567890"));
  EXPECT_FALSE(us_ssn_valid("123-45-678a"));
  EXPECT_FALSE(us_ssn_valid(""));
}

TEST(Ip, Version4) {
  for (const char* good :
       {"0.0.0.0", "192.168.1.77", "255.255.255.255", "10.0.0.1", "1.2.3.4", "100.10.0.199"})
    EXPECT_TRUE(ipv4_valid(good)) << good;
  for (const char* bad :
       {"256.1.1.1", "1.2.3.256", "1.2.3.999", "1.2.3",      "1.2.3.4.5", "01.2.3.4",
        "1.2.3.04",  "0.0.0.00",  "1.2.3.004", "1234.1.1.1", "1..2.3",    "1.2.3.",
        ".1.2.3",    "1.2.3.4.",  "a.b.c.d",   "1.2.3.-1",   "+1.2.3.4",  " 1.2.3.4",
        "1.2.3.4 ",  "1,2,3,4",   "",          "."})
    EXPECT_FALSE(ipv4_valid(bad)) << bad;
}

TEST(Ip, Version6) {
  for (const char* good : {
           "2001:db8::1",
           "::",
           "::1",
           "1::",
           "fe80::1:2:3:4",
           "::ffff:192.0.2.128",
           "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
           "2001:DB8::",
           "2001:Db8::aBcD",
           "1:2:3:4:5:6:7:8",
           "0:0:0:0:0:0:0:0",
           "1:2:3:4:5:6:7::",  // "::" for one group
           "::2:3:4:5:6:7:8",
           "1::8",
           "1:2:3::6:7:8",
           "1:2:3:4:5:6:1.2.3.4",  // the IPv4 tail counts as two groups
           "::1.2.3.4",
           "1::1.2.3.4",
           "::ffff:0.0.0.0",
           "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",  // the longest form, 45 characters
       })
    EXPECT_TRUE(ipv6_valid(good)) << good;
  for (const char* bad : {
           "1::2::3",
           "::1::",
           "2001:db8::1::",
           "12345::",
           "::12345",
           "2001:db8:0:0:0:0:0:0:1",
           "1:2:3:4:5:6:7:8:9",
           "1:2:3:4:5:6:7",
           "1:2:3:4:5:6:7:8::",  // "::" plus 8 groups
           "::1:2:3:4:5:6:7:8",
           "1:2:3:4::5:6:7:8",
           ":::",
           "1:::2",
           "::1:::",
           ":1::",
           "1:",
           ":1",
           ":",
           "::1:",
           ":1:2:3:4:5:6:7:8",
           "1:2:3:4:5:6:7:8:",
           "::ffff:999.0.2.128",
           "::ffff:1.2.3",
           "::ffff:01.2.3.4",
           "1.2.3.4",
           "1.2.3.4::",
           "::1.2.3.4:1",
           "1:2:3:4:5:6:7:1.2.3.4",  // nine groups
           "1:2:3:4:5:6::1.2.3.4",   // "::" plus eight
           "g::1",
           "fe80::1%eth0",
           "[::1]",
           " ::1",
           "::1 ",
           "1:2:3:4:5:6:7:8 ",
           "1 ::",
           "",
           "0000000000000000000000000000000000000000000000000",  // past the length limit
       })
    EXPECT_FALSE(ipv6_valid(bad)) << bad;
}

TEST(Date, AcceptedForms) {
  for (const char* good : {"1984-03-12", "1984/03/12", "12/03/1984", "12-03-1984", "12.03.1984",
                           "01/03/1984", "1/3/1984", "1-3-1984", "1.3.1984"})
    EXPECT_TRUE(date_valid(good)) << good;
  for (const char* bad :
       {"2024-1-1",   "2024-01-1",   "2024.01.02",  "001/01/2000", "01/001/2000", "12/03-1984",
        "2024-02/29", "29/02.2024",  "2024-02-29-", "-2024-02-29", "20240229",    "29/02/24",
        "1984 03 12", "12//03/1984", "+1/3/1984",   " 2024-02-29", "2024-02-29 ", "2024-02-2a",
        "",           "/",           "//"})
    EXPECT_FALSE(date_valid(bad)) << bad;
}

TEST(Date, CalendarRules) {
  for (const char* good : {"2024-02-29", "2000-02-29", "29/02/2024", "29.02.2000", "2024/02/29",
                           "31-01-2023", "30/04/2020", "31.07.2020", "31/08/2020"})
    EXPECT_TRUE(date_valid(good)) << good;
  // Not leap years: 2023, and centuries not divisible by 400.
  for (const char* bad : {"2023-02-29", "1900-02-29", "2100-02-29", "29/02/2023", "29.02.1900"})
    EXPECT_FALSE(date_valid(bad)) << bad;
  for (const char* bad : {"2024-02-30", "30/02/2024", "31/04/2020", "31.06.2020", "31-09-2020",
                          "2020-11-31", "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-32",
                          "00/01/2000", "32/01/2000", "01/13/2000", "01/00/2000"})
    EXPECT_FALSE(date_valid(bad)) << bad;
}

TEST(Date, YearRange) {
  for (const char* good : {"1900-01-01", "01/01/1900", "2100-12-31", "31/12/2100"})
    EXPECT_TRUE(date_valid(good)) << good;
  for (const char* bad : {"1899-01-01", "31/12/1899", "2101-01-01", "01.01.2101", "0000-01-01"})
    EXPECT_FALSE(date_valid(bad)) << bad;
}

}  // namespace
}  // namespace anonkit::detect
