// Fuzzes the small parsers behind bucket() and fpe_*(): bucket edges, date/time text, FPE
// alphabets, and FF1 through Alphabet::transform, which must round-trip whenever it accepts the
// input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "anonkit/error.hpp"
#include "anonkit/generalize/bucket.hpp"
#include "anonkit/pseudo/fpe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace anonkit;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const auto edges = generalize::Edges::parse(input);
    (void)edges.label(static_cast<double>(size) - 50.0);
  } catch (const Error&) {
  }
  if (const auto t = generalize::parse_datetime(input)) {
    if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > 31 || t->hour > 23) std::abort();
    for (auto unit :
         {generalize::DateUnit::kYear, generalize::DateUnit::kWeek, generalize::DateUnit::kHour})
      (void)generalize::bucket_date(*t, unit);
  }
  static const std::uint8_t key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                       12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                       23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
  // First byte picks the alphabet; the rest is the value.
  if (size < 1) return 0;
  static const char* kAlphabets[] = {"digits", "alnum", "hex", "alpha", "ACGT", "αβγδεζηθ"};
  const auto alphabet = pseudo::Alphabet::parse(kAlphabets[data[0] % 6]);
  const pseudo::Ff1 ff1(key, alphabet.radix());
  const std::string_view value = input.substr(1);
  try {
    const std::string encrypted = alphabet.transform(ff1, value, true);
    const std::string decrypted = alphabet.transform(ff1, encrypted, false);
    if (encrypted.size() != value.size() && (data[0] % 6) < 5) std::abort();  // ASCII alphabets
    // Case-insensitive alphabets may lower-case mixed-case letters; otherwise exact.
    if ((data[0] % 6) == 0 || (data[0] % 6) == 4) {
      if (decrypted != value) std::abort();
    }
  } catch (const Error&) {
  }
  return 0;
}
