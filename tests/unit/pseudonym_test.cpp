// Keyring files and derivation, and pseudonyms: deterministic per key, different across keys and
// types, shaped like their type, and free of collisions where the type promises it.
#include "anonkit/pseudo/pseudonym.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>

#include "anonkit/error.hpp"
#include "anonkit/pseudo/keyring.hpp"

namespace anonkit::pseudo {
namespace {

class TempFile {
 public:
  TempFile(std::string_view content, mode_t mode) {
    char name[] = "/tmp/anonkit-key-XXXXXX";
    const int fd = mkstemp(name);
    path_ = name;
    if (::write(fd, content.data(), content.size()) != static_cast<ssize_t>(content.size()))
      std::abort();
    ::close(fd);
    ::chmod(path_.c_str(), mode);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const std::string kHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::string key_error(const std::string& path) {
  try {
    (void)Keyring::from_file(path);
  } catch (const KeyError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Keyring, LoadsRawAndHexTheSame) {
  std::string raw;
  for (int i = 0; i < 32; ++i) raw.push_back(static_cast<char>(i));
  const TempFile a(raw, 0600), b(kHex + "\n", 0400);
  const auto ra = Keyring::from_file(a.path());
  const auto rb = Keyring::from_file(b.path());
  EXPECT_EQ(ra->id(), rb->id());
  EXPECT_EQ(ra->pseudonym_key(), rb->pseudonym_key());
  EXPECT_EQ(ra->id().rfind("ak1:", 0), 0u);
  EXPECT_EQ(ra->id().size(), 20u);
  EXPECT_NE(ra->pseudonym_key(), ra->ff1_key());  // one subkey per purpose
}

TEST(Keyring, RefusesUnsafeOrMalformedFiles) {
  const TempFile open_to_group(kHex, 0640), short_key("abcd", 0600),
      bad_hex(std::string(64, 'g'), 0600), zero(std::string(64, '0'), 0600);
  EXPECT_NE(key_error(open_to_group.path()).find("accessible by group or others (mode 0640)"),
            std::string::npos);
  EXPECT_NE(key_error(short_key.path()).find("must hold exactly 32 random bytes"),
            std::string::npos);
  EXPECT_NE(key_error(bad_hex.path()).find("must hold exactly 32 random bytes"), std::string::npos);
  EXPECT_NE(key_error(zero.path()).find("all zero"), std::string::npos);
  EXPECT_NE(key_error("/nonexistent/key").find("cannot open key file"), std::string::npos);
  EXPECT_NE(key_error("/tmp").find("not a regular file"), std::string::npos);
}

TEST(Keyring, HkdfMatchesRfc5869) {
  // RFC 5869 test case 3 (SHA-256, empty salt and info), first 32 bytes of OKM.
  const std::vector<std::uint8_t> ikm(22, 0x0b);
  const KeyBytes okm = hkdf_sha256(ikm, "");
  const std::uint8_t expected[] = {0x8d, 0xa4, 0xe7, 0x75, 0xa5, 0x63, 0xc1, 0x8f, 0x71, 0x5f, 0x80,
                                   0x2a, 0x06, 0x3c, 0x5a, 0x31, 0xb8, 0xa1, 0x1f, 0x5c, 0x5e, 0xe1,
                                   0x87, 0x9e, 0xc3, 0x45, 0x4e, 0x5f, 0x3c, 0x73, 0x8d, 0x2d};
  EXPECT_EQ(0, std::memcmp(okm.data(), expected, 32));
}

std::shared_ptr<const Keyring> ring(std::uint8_t seed) {
  std::vector<std::uint8_t> k(32);
  for (std::size_t i = 0; i < 32; ++i) k[i] = static_cast<std::uint8_t>(seed + i);
  return Keyring::from_bytes(k);
}

TEST(Pseudonym, DeterministicKeyedAndTyped) {
  const Pseudonymizer p(ring(1)->pseudonym_key()), q(ring(2)->pseudonym_key());
  const std::string t = p.text(PseudonymType::kToken, "254712345678");
  EXPECT_EQ(t, p.text(PseudonymType::kToken, "254712345678"));
  EXPECT_NE(t, q.text(PseudonymType::kToken, "254712345678"));
  EXPECT_EQ(t.rfind("tok_", 0), 0u);
  EXPECT_EQ(t.size(), 20u);
  EXPECT_NE(p.text(PseudonymType::kName, "x"), p.text(PseudonymType::kName, "y"));

  const std::string email = p.text(PseudonymType::kEmail, "Jane@Example.com");
  EXPECT_EQ(email, p.text(PseudonymType::kEmail, "jane@example.com"));
  EXPECT_NE(email.find("@example.invalid"), std::string::npos);

  const std::string name = p.text(PseudonymType::kName, "Wanjiru Kamau");
  EXPECT_EQ(std::count(name.begin(), name.end(), ' '), 1);

  const std::string phone = p.text(PseudonymType::kPhone, "+254 712 345 678");
  EXPECT_EQ(phone.size(), 16u);
  EXPECT_EQ(phone.rfind("+254 ", 0), 0u);
  EXPECT_EQ(phone[8], ' ');
  EXPECT_EQ(p.text(PseudonymType::kPhone, "0712345678")[0], '0');
  EXPECT_EQ(p.text(PseudonymType::kPhone, "+254712345678"),
            p.text(PseudonymType::kPhone, "+254712345678"));
  EXPECT_THROW((void)p.text(PseudonymType::kPhone, "n/a"), InvalidArgument);

  for (const std::int64_t v :
       std::vector<std::int64_t>{0, 7, 42, -42, 123456789, INT64_MAX, INT64_MIN}) {
    const std::int64_t w = p.integer(v);
    EXPECT_EQ(std::to_string(std::llabs(v == INT64_MIN ? v + 1 : v)).size(),
              std::to_string(std::llabs(w == INT64_MIN ? w + 1 : w)).size())
        << v << " -> " << w;
    EXPECT_EQ(v < 0, w < 0);
    EXPECT_EQ(w, p.integer(v));
  }
  EXPECT_EQ(canonical_number(42.0), "42");
  EXPECT_EQ(canonical_number(-3.5), "-3.5");
}

TEST(Pseudonym, NoTokenCollisionsInAMillion) {
  const Pseudonymizer p(ring(9)->pseudonym_key());
  std::set<std::string> seen;
  for (int i = 0; i < 1'000'000; ++i) seen.insert(p.text(PseudonymType::kToken, std::to_string(i)));
  EXPECT_EQ(seen.size(), 1'000'000u);
}

}  // namespace
}  // namespace anonkit::pseudo
