// FF1 against all nine NIST SP 800-38G sample vectors (AES-128/192/256, radix 10 and 36, with and
// without tweak), both directions, plus round trips over lengths and radices.
#include "anonkit/pseudo/ff1.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "anonkit/error.hpp"

namespace anonkit::pseudo {
namespace {

std::vector<std::uint8_t> hex(std::string_view h) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

std::vector<std::uint32_t> numerals(std::string_view s) {
  std::vector<std::uint32_t> out;
  for (const char c : s) out.push_back(c <= '9' ? c - '0' : c - 'a' + 10);
  return out;
}

std::string text(const std::vector<std::uint32_t>& x) {
  std::string out;
  for (const auto d : x) out.push_back(static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10));
  return out;
}

struct Sample {
  const char* key;
  std::uint32_t radix;
  const char* tweak;
  const char* plain;
  const char* cipher;
};

constexpr const char* kKey128 = "2B7E151628AED2A6ABF7158809CF4F3C";
constexpr const char* kKey192 = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F";
constexpr const char* kKey256 = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94";

class NistSample : public ::testing::TestWithParam<Sample> {};

TEST_P(NistSample, EncryptsAndDecrypts) {
  const Sample& s = GetParam();
  const Ff1 ff1(hex(s.key), s.radix);
  const auto tweak = hex(s.tweak);
  EXPECT_EQ(text(ff1.encrypt(numerals(s.plain), tweak)), s.cipher);
  EXPECT_EQ(text(ff1.decrypt(numerals(s.cipher), tweak)), s.plain);
}

INSTANTIATE_TEST_SUITE_P(
    Sp800_38G, NistSample,
    ::testing::Values(
        Sample{kKey128, 10, "", "0123456789", "2433477484"},
        Sample{kKey128, 10, "39383736353433323130", "0123456789", "6124200773"},
        Sample{kKey128, 36, "3737373770717273373737", "0123456789abcdefghi", "a9tv40mll9kdu509eum"},
        Sample{kKey192, 10, "", "0123456789", "2830668132"},
        Sample{kKey192, 10, "39383736353433323130", "0123456789", "2496655549"},
        Sample{kKey192, 36, "3737373770717273373737", "0123456789abcdefghi", "xbj3kv35jrawxv32ysr"},
        Sample{kKey256, 10, "", "0123456789", "6657667009"},
        Sample{kKey256, 10, "39383736353433323130", "0123456789", "1001623463"},
        Sample{kKey256, 36, "3737373770717273373737", "0123456789abcdefghi",
               "xs8a0azh2avyalyzuwd"}));

TEST(Ff1, RoundTripsOverLengthsAndRadices) {
  std::mt19937 rng(3);
  const auto key = hex(kKey256);
  for (const std::uint32_t radix : {2u, 10u, 16u, 26u, 36u, 62u, 256u, 65536u}) {
    const Ff1 ff1(key, radix);
    for (const std::size_t n : {20ul, 21ul, 33ul, 100ul, 257ul}) {
      std::vector<std::uint32_t> x(n);
      for (auto& d : x) d = rng() % radix;
      const auto y = ff1.encrypt(x);
      ASSERT_EQ(y.size(), n);
      for (const auto d : y) ASSERT_LT(d, radix);
      EXPECT_NE(y, x);
      EXPECT_EQ(ff1.decrypt(y), x) << "radix " << radix << " length " << n;
    }
  }
  // The longest input supported.
  const Ff1 ff1(key, 10);
  std::vector<std::uint32_t> longest(Ff1::kMaxLength, 7);
  EXPECT_EQ(ff1.decrypt(ff1.encrypt(longest)), longest);
}

TEST(Ff1, RefusesSmallDomainsAndBadInput) {
  const Ff1 ff1(hex(kKey256), 10);
  EXPECT_THROW((void)ff1.encrypt(numerals("12345")), InvalidArgument);  // 10^5 < 10^6
  EXPECT_NO_THROW((void)ff1.encrypt(numerals("123456")));               // 10^6: allowed
  EXPECT_THROW((void)ff1.encrypt(std::vector<std::uint32_t>{1, 2, 3, 4, 5, 10}), InvalidArgument);
  EXPECT_THROW((void)ff1.encrypt(std::vector<std::uint32_t>(Ff1::kMaxLength + 1, 1)),
               InvalidArgument);
  EXPECT_THROW(Ff1(hex("00"), 10), InvalidArgument);
  EXPECT_THROW(Ff1(hex(kKey256), 1), InvalidArgument);
  const Ff1 binary(hex(kKey256), 2);
  EXPECT_THROW((void)binary.encrypt(std::vector<std::uint32_t>(19, 1)), InvalidArgument);  // 2^19
  EXPECT_NO_THROW((void)binary.encrypt(std::vector<std::uint32_t>(20, 1)));                // 2^20
}

}  // namespace
}  // namespace anonkit::pseudo
