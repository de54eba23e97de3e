// Fuzzes the scanner over arbitrary bytes, with a user keyword dictionary and pattern, and checks
// the invariants callers rely on: spans in bounds, sorted, non-overlapping; and the inventory's
// shape of the text: bounded, and free of the text's digits (only a phone's written country code
// may stay).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "anonkit/detect/scanner.hpp"
#include "anonkit/inventory/column_profile.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace anonkit::detect;
  static const Scanner scanner(
      {{"MEMBER_NO", R"(\bMBR-\d{4,8}\b)"}},
      {{"PERSON", "Wanjiru"}, {"PERSON", "Müller"}, {"FACILITY", "Aga Khan Hospital"}});
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t last_end = 0;
  const std::vector<Entity> found = scanner.scan(text);
  const std::string shape = anonkit::inventory::shape_of(text, found, scanner.types());
  if (shape.size() > 51) std::abort();
  std::size_t digits = 0;
  for (char c : shape) digits += (c >= '0' && c <= '9') ? 1 : 0;
  if (digits > 3 * found.size()) std::abort();  // at most a country code per entity
  for (const Entity& e : found) {
    if (e.begin >= e.end || e.end > size || e.begin < last_end) std::abort();
    if (e.type >= scanner.types().size()) std::abort();
    last_end = e.end;
  }
  return 0;
}
