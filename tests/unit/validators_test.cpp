// Validators against published known-answer values: Luhn examples, the card networks' test numbers,
// the IBAN registry's examples, and the SSA's rules for social security numbers.
#include "anonkit/detect/validators.hpp"

#include <gtest/gtest.h>

namespace anonkit::detect {
namespace {

TEST(Luhn, KnownAnswers) {
  EXPECT_TRUE(luhn_valid("79927398713"));  // the textbook example
  for (const char* bad : {"79927398710", "79927398711", "79927398712", "79927398714"})
    EXPECT_FALSE(luhn_valid(bad)) << bad;
  EXPECT_FALSE(luhn_valid(""));
  EXPECT_FALSE(luhn_valid("7992 7398 713"));  // digits only
}

TEST(Card, NetworkTestNumbers) {
  for (const char* good :
       {"4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "4012888888881881",
        "5555555555554444", "5105105105105100", "2223003122003222", "378282246310005",
        "3782 822463 10005", "371449635398431", "6011111111111117", "6011000990139424",
        "3530111333300000", "3566002020360505", "30569309025904", "38520000023237",
        "6200000000000005", "4222222222222"})
    EXPECT_TRUE(card_valid(good)) << good;
}

TEST(Card, Rejections) {
  EXPECT_FALSE(card_valid("4111111111111112"));      // Luhn
  EXPECT_FALSE(card_valid("9111111111111113"));      // Luhn-valid, no issuer starts with 9
  EXPECT_FALSE(card_valid("4111 1111-1111 1111"));   // mixed separators
  EXPECT_FALSE(card_valid("4111  1111 1111 1111"));  // double separator
  EXPECT_FALSE(card_valid("41111 111 1111 1111"));   // not a card grouping
  EXPECT_FALSE(card_valid("378282246310005 "));      // trailing separator
  EXPECT_FALSE(card_valid("5555555555554444000"));   // Mastercard is 16 digits
  EXPECT_FALSE(card_valid("411111111111"));          // Visa is not 12 digits
}

TEST(Iban, RegistryExamples) {
  for (const char* good :
       {"GB82WEST12345698765432", "GB82 WEST 1234 5698 7654 32", "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00", "FR1420041010050500013M02606",
        "FR14 2004 1010 0505 0001 3M02 606", "NL91ABNA0417164300", "BE68539007547034",
        "NO9386011117947", "MT84MALT011000012345MTLCAST001S", "SA0380000000608010167519",
        "AE070331234567890123456", "CH9300762011623852957"})
    EXPECT_TRUE(iban_valid(good)) << good;
}

TEST(Iban, Rejections) {
  EXPECT_FALSE(iban_valid("GB82WEST12345698765433"));       // one character changed
  EXPECT_FALSE(iban_valid("GB82WEST1234569876543"));        // wrong length for GB
  EXPECT_FALSE(iban_valid("gb82west12345698765432"));       // lower case
  EXPECT_FALSE(iban_valid("KE82WEST12345698765432"));       // Kenya has no IBAN
  EXPECT_FALSE(iban_valid("GB82 WEST 1234 5698 76 5432"));  // groups of four only
  EXPECT_FALSE(iban_valid("GB00WEST12345698765432"));       // check digits 00
}

TEST(Ssn, Rules) {
  EXPECT_TRUE(us_ssn_valid("123-45-6789"));
  EXPECT_TRUE(us_ssn_valid("123 45 6789"));
  EXPECT_TRUE(us_ssn_valid("123456789"));
  EXPECT_FALSE(us_ssn_valid("123-45 6789"));  // mixed separators
  EXPECT_FALSE(us_ssn_valid("000-12-3456"));
  EXPECT_FALSE(us_ssn_valid("666-12-3456"));
  EXPECT_FALSE(us_ssn_valid("900-12-3456"));
  EXPECT_FALSE(us_ssn_valid("999-12-3456"));
  EXPECT_FALSE(us_ssn_valid("123-00-4567"));
  EXPECT_FALSE(us_ssn_valid("123-45-0000"));
  EXPECT_FALSE(us_ssn_valid("1234-5-6789"));
  EXPECT_TRUE(us_ssn_valid("899-99-9999"));
}

TEST(Ip, Version4) {
  for (const char* good : {"0.0.0.0", "192.168.1.77", "255.255.255.255", "10.0.0.1"})
    EXPECT_TRUE(ipv4_valid(good)) << good;
  for (const char* bad :
       {"256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..2.3", "1.2.3.", "a.b.c.d", ""})
    EXPECT_FALSE(ipv4_valid(bad)) << bad;
}

TEST(Ip, Version6) {
  for (const char* good : {"2001:db8::1", "::", "::1", "fe80::1:2:3:4", "::ffff:192.0.2.128",
                           "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:DB8::", "1::"})
    EXPECT_TRUE(ipv6_valid(good)) << good;
  for (const char* bad : {"1::2::3", "12345::", "2001:db8:0:0:0:0:0:0:1", ":::", ":1::", "1:",
                          "1:2:3:4:5:6:7", "2001:db8::1::", "::ffff:999.0.2.128", "g::1", ""})
    EXPECT_FALSE(ipv6_valid(bad)) << bad;
}

TEST(Date, CalendarRules) {
  for (const char* good : {"2024-02-29", "2000-02-29", "1984-03-12", "1984/03/12", "12/03/1984",
                           "1/3/1984", "12-03-1984", "12.03.1984", "31/12/2100"})
    EXPECT_TRUE(date_valid(good)) << good;
  for (const char* bad :
       {"2023-02-29", "1900-02-29", "31/04/2020", "1899-01-01", "2101-01-01", "2024-13-01",
        "2024-00-10", "2024-1-1", "12/03-1984", "1984.03.12", "12/03/84", ""})
    EXPECT_FALSE(date_valid(bad)) << bad;
}

}  // namespace
}  // namespace anonkit::detect
