// Fuzzes the scanner over arbitrary bytes, with a user keyword dictionary and pattern, and checks
// the invariants callers rely on: spans in bounds, sorted, non-overlapping.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "anonkit/detect/scanner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace anonkit::detect;
  static const Scanner scanner(
      {{"MEMBER_NO", R"(\bMBR-\d{4,8}\b)"}},
      {{"PERSON", "Wanjiru"}, {"PERSON", "Müller"}, {"FACILITY", "Aga Khan Hospital"}});
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t last_end = 0;
  for (const Entity& e : scanner.scan(text)) {
    if (e.begin >= e.end || e.end > size || e.begin < last_end) std::abort();
    if (e.type >= scanner.types().size()) std::abort();
    last_end = e.end;
  }
  return 0;
}
