// Property tests with a fixed seed: thousands of generated look-alikes (timestamps, amounts,
// references, versions, coordinates) that must never be reported, and generated phones and cards in
// every supported format that must always be found whole. A single example proves little here.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "anonkit/detect/scanner.hpp"

namespace anonkit::detect {
namespace {

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : rng_(seed) {}
  int n(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string digits(int count) {
    std::string s;
    for (int i = 0; i < count; ++i) s.push_back(static_cast<char>('0' + n(0, 9)));
    return s;
  }
  template <typename... Args>
  std::string format(const char* f, Args... args) {
    char buf[160];
    std::snprintf(buf, sizeof buf, f, args...);
    return buf;
  }
  std::string look_alike() {
    switch (n(0, 13)) {
      case 0:
        return format("%04d-%02d-%02d %02d:%02d:%02d", n(1990, 2030), n(1, 12), n(1, 28), n(0, 23),
                      n(0, 59), n(0, 59));
      case 1:
        return format("%04d-%02d-%02dT%02d:%02d:%02dZ", n(1990, 2030), n(1, 12), n(1, 28), n(0, 23),
                      n(0, 59), n(0, 59));
      case 2:
        return format("%02d/%02d/%04d %02d:%02d", n(1, 28), n(1, 12), n(1990, 2030), n(0, 23),
                      n(0, 59));
      case 3:
        return format("KES %d,%03d,%03d.%02d", n(1, 999), n(0, 999), n(0, 999), n(0, 99));
      case 4:
        return format("USD %d,%03d.%02d", n(1, 999), n(0, 999), n(0, 99));
      case 5:
        return "INV-" + digits(8) + "-" + digits(4);
      case 6:
        return "CLM-" + std::to_string(n(2015, 2030)) + "-" + digits(7);
      case 7:
        return "POL/" + std::to_string(n(2015, 2030)) + "/" + digits(5);
      case 8:
        return format("v%d.%d.%d", n(0, 20), n(0, 99), n(0, 999));
      case 9:
        return format("%d.%06d, %d.%06d", n(-4, 4), n(0, 999999), n(33, 41), n(0, 999999));
      case 10:
        return format("%d.%d%%", n(0, 100), n(0, 9));
      case 11:
        return "ref " + digits(n(6, 12));
      case 12:
        return format("ICD-10 %c%02d.%d", 'A' + n(0, 25), n(0, 99), n(0, 9));
      default:
        return format("%d,%03d,%03d", n(1, 999), n(0, 999), n(0, 999));
    }
  }
  std::string phone() {
    const std::string a = digits(3), b = digits(3);
    const std::string m = std::to_string(n(10, 99));
    switch (n(0, 9)) {
      case 0:
        return "+254 7" + m + " " + a + " " + b;
      case 1:
        return "+2547" + m + a + b;
      case 2:
        return "07" + m + " " + a + " " + b;
      case 3:
        return "07" + m + "-" + a + "-" + b;
      case 4:
        return "011" + std::to_string(n(0, 9)) + " " + a + " " + b;
      case 5:
        return "+1 (" + std::to_string(n(200, 999)) + ") " + std::to_string(n(200, 999)) + "-" +
               digits(4);
      case 6:
        return "(" + std::to_string(n(200, 999)) + ") " + std::to_string(n(200, 999)) + "-" +
               digits(4);
      case 7:
        return "+44 20 " + digits(4) + " " + digits(4);
      case 8:
        return "+255 7" + m + " " + a + " " + b;
      default:
        return "2547" + m + a + b;
    }
  }
  std::string card() {
    std::string d = (n(0, 1) ? "4" : "5" + std::to_string(n(1, 5)));
    while (d.size() < 15) d += digits(1);
    int sum = 0;
    for (std::size_t i = 0; i < 15; ++i) {
      int x = d[14 - i] - '0';
      if (i % 2 == 0 && (x *= 2) > 9) x -= 9;
      sum += x;
    }
    d.push_back(static_cast<char>('0' + (10 - sum % 10) % 10));
    const char* sep[] = {"", " ", "-"};
    const std::string s = sep[n(0, 2)];
    return d.substr(0, 4) + s + d.substr(4, 4) + s + d.substr(8, 4) + s + d.substr(12, 4);
  }

 private:
  std::mt19937_64 rng_;
};

TEST(Property, LookAlikesAreNeverReported) {
  Generator g(20261123);
  const Scanner& scanner = *Scanner::builtin();
  int reported = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string text = "Note: " + g.look_alike() + " and " + g.look_alike() + ".";
    for (const Entity& e : scanner.scan(text)) {
      // A reference number that has a phone's exact shape ("ref 0797186355") is reported, at the
      // lowered confidence a reference word gives: context words do not veto a valid value.
      if (scanner.types()[e.type] == "PHONE" && e.confidence <= 0.5 &&
          text.substr(0, e.begin).ends_with("ref "))
        continue;
      ADD_FAILURE() << scanner.types()[e.type] << " '" << text.substr(e.begin, e.end - e.begin)
                    << "' in: " << text << " confidence " << e.confidence;
      if (++reported > 20) return;
    }
  }
}

TEST(Property, GeneratedPhonesAndCardsAreFoundWhole) {
  Generator g(7);
  const Scanner& scanner = *Scanner::builtin();
  const char* frames[] = {"call %s today",    "%s",       "tel: %s.", "(%s)",
                          "Simu: %s, asante", "on %s; or"};
  int failures = 0;
  for (int i = 0; i < 20000 && failures < 20; ++i) {
    const bool is_card = i % 3 == 0;
    const std::string value = is_card ? g.card() : g.phone();
    const std::string text = g.format(frames[i % 6], value.c_str());
    const auto found = scanner.scan(text);
    const std::size_t at = text.find(value);
    const bool ok = found.size() == 1 && found[0].begin == at &&
                    found[0].end == at + value.size() &&
                    scanner.types()[found[0].type] == (is_card ? "CREDIT_CARD" : "PHONE");
    if (!ok) {
      ++failures;
      ADD_FAILURE() << "expected exactly '" << value << "' in: " << text;
    }
  }
}

}  // namespace
}  // namespace anonkit::detect
