// Verification after a run (mask_check.hpp): every strategy's correct output is clean under the
// scanner, an unmasked value is not (the negative control), and a mask used on the wrong data
// (a typed e-mail mask over notes) is caught.
#include "anonkit/inventory/mask_check.hpp"

#include <gtest/gtest.h>

#include <array>

namespace anonkit::inventory {
namespace {

using policy::ColumnKind;
using policy::ColumnMask;

std::shared_ptr<const pseudo::Keyring> test_key() {
  std::array<std::uint8_t, 32> bytes{};
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 5 + 3);
  return pseudo::Keyring::from_bytes(bytes);
}

const policy::MaskContext& ctx() {
  static const policy::MaskContext c(test_key());
  return c;
}

struct Case {
  const char* spec;
  ColumnKind kind;
  std::vector<const char*> values;  // personal data of the kind the strategy is for
};

const std::vector<Case>& cases() {
  static const std::vector<Case> c = {
      {"null", ColumnKind::kText, {"+254 712 345 678", "wanjiru.kamau@example.com"}},
      {"redact", ColumnKind::kText, {"+254 712 345 678", "wanjiru.kamau@example.com"}},
      {"redact:PHONE", ColumnKind::kText, {"+254 712 345 678", "0712345678"}},
      {"email",
       ColumnKind::kText,
       {"wanjiru.kamau@example.com", "otieno@mail.co.ke", "j.doe+tag@sub.example.org"}},
      {"phone",
       ColumnKind::kText,
       {"+254 712 345 678", "0712345678", "+1 (415) 555-2671", "+44 20 7946 0958"}},
      {"card", ColumnKind::kText, {"4111 1111 1111 1111", "5500-0000-0000-0004"}},
      {"iban", ColumnKind::kText, {"GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"}},
      {"ssn", ColumnKind::kText, {"123-45-6789", "078-05-1120"}},
      {"name", ColumnKind::kText, {"Wanjiru Kamau", "John Smith", "Achieng' Otieno"}},
      {"ip", ColumnKind::kText, {"192.168.10.23", "2001:db8:85a3::8a2e:370:7334"}},
      {"mac", ColumnKind::kText, {"00:1A:2B:3C:4D:5E"}},
      {"url",
       ColumnKind::kText,
       {"https://user:secret@example.com/people/wanjiru?phone=0712345678"}},
      {"date", ColumnKind::kText, {"born 1985-04-12", "date of birth: 12/04/1985"}},
      {"id", ColumnKind::kText, {"A123456789Z", "12345678"}},
      {"all", ColumnKind::kText, {"+254 712 345 678", "wanjiru.kamau@example.com"}},
      {"text",
       ColumnKind::kText,
       {"Call Wanjiru Kamau on +254 712 345 678 or wanjiru.kamau@example.com",
        "card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, from 192.168.10.23",
        "KRA PIN A123456789Z, SSN 123-45-6789"}},
      {"pseudonym", ColumnKind::kText, {"wanjiru.kamau@example.com", "+254 712 345 678"}},
      {"pseudonym:email", ColumnKind::kText, {"wanjiru.kamau@example.com"}},
      {"pseudonym:name", ColumnKind::kText, {"Wanjiru Kamau"}},
      {"pseudonym:phone", ColumnKind::kText, {"+254 712 345 678"}},
      {"pseudonym:int", ColumnKind::kInteger, {"712345678"}},
      {"fpe", ColumnKind::kText, {"0712345678"}},
      {"fpe:alnum", ColumnKind::kText, {"A123456789Z"}},
      {"bucket:10", ColumnKind::kInteger, {"37", "712345678"}},
      {"bucket:1000", ColumnKind::kText, {"+254 712 345 678", "712345678"}},
      {"bucket:month", ColumnKind::kDate, {"1985-04-12"}},
      {"bucket:year", ColumnKind::kTimestamp, {"1985-04-12 10:11:12"}},
  };
  return c;
}

TEST(MaskCheck, EveryStrategysOutputIsClean) {
  const auto scanner = detect::Scanner::builtin();
  for (const auto& c : cases()) {
    const auto mask = ColumnMask::parse(c.spec);
    MaskCheck check(mask, scanner);
    for (const char* v : c.values) check.add(mask.apply(std::string_view(v), c.kind, ctx()));
    EXPECT_EQ(check.rows(), static_cast<std::int64_t>(c.values.size()));
    std::string found;
    for (const auto& f : check.findings()) found += " " + f.type;
    EXPECT_EQ(found, "") << c.spec;
  }
}

TEST(MaskCheck, UnmaskedValuesAreFlagged) {
  // The negative control: the same values left as they are. Every text case's values hold PII the
  // scanner finds, so a check that flags nothing could not pass this.
  const auto scanner = detect::Scanner::builtin();
  const auto identity = ColumnMask::parse("all");  // keeps no type by design
  for (const auto& c : cases()) {
    if (c.kind != ColumnKind::kText) continue;
    MaskCheck check(identity, scanner);
    for (const char* v : c.values) check.add(std::string_view(v));
    EXPECT_FALSE(check.findings().empty()) << c.spec;
  }
}

TEST(MaskCheck, KeptShapesAreOnlyThoseOfTheirStrategy) {
  // ip keeps the network, so an IP there is expected; an e-mail that slipped into it is not.
  const auto scanner = detect::Scanner::builtin();
  MaskCheck check(ColumnMask::parse("ip"), scanner);
  check.add(std::string_view("192.168.10.0"));
  check.add(std::string_view("192.168.10.0 wanjiru.kamau@example.com"));
  const auto f = check.findings();
  ASSERT_EQ(f.size(), 1U);
  EXPECT_EQ(f[0].type, "EMAIL");
  EXPECT_EQ(f[0].rows, 1);
  EXPECT_EQ(check.expected_types(), std::vector<std::string>{"IP_ADDRESS"});
}

TEST(MaskCheck, FpeIsCountedNotScanned) {
  MaskCheck check(ColumnMask::parse("fpe"), detect::Scanner::builtin());
  check.add(std::string_view("+254 712 345 678"));
  EXPECT_FALSE(check.scanned());
  EXPECT_EQ(check.rows(), 1);
  EXPECT_TRUE(check.findings().empty());
}

TEST(MaskCheck, ATypedMaskOverNotesLetsTheRestThrough) {
  // `email` keeps everything from the '@' on: right for an e-mail column, a leak over free text.
  const auto scanner = detect::Scanner::builtin();
  const auto mask = ColumnMask::parse("email");
  MaskCheck check(mask, scanner);
  for (const char* v : {"wanjiru@example.com, call +254 712 345 678",
                        "otieno@example.org or 0712 345 678", "kamau@example.com"})
    check.add(mask.apply(std::string_view(v), ColumnKind::kText, ctx()));
  const auto f = check.findings();
  ASSERT_EQ(f.size(), 1U) << f[0].type << " " << f[1].type;
  EXPECT_EQ(f[0].type, "PHONE");
  EXPECT_EQ(f[0].rows, 2);
  EXPECT_EQ(check.rows(), 3);
}

TEST(MaskCheck, NullIsClean) {
  MaskCheck check(ColumnMask::parse("text"), detect::Scanner::builtin());
  check.add(std::nullopt);
  EXPECT_EQ(check.rows(), 1);
  EXPECT_TRUE(check.findings().empty());
}

}  // namespace
}  // namespace anonkit::inventory

namespace anonkit::inventory {
namespace {

TEST(MaskCheck, AnEmailWithMoreThanItsFirstCharacterLeftIsCounted) {
  MaskCheck check(ColumnMask::parse("email"), detect::Scanner::builtin());
  check.add(std::string_view("w***@example.com"));     // the strategy's own output
  check.add(std::string_view("wanj***@example.com"));  // not: four characters readable
  const auto f = check.findings();
  ASSERT_EQ(f.size(), 1U);
  EXPECT_EQ(f[0].type, "EMAIL");
  EXPECT_EQ(f[0].rows, 1);
}

}  // namespace
}  // namespace anonkit::inventory
