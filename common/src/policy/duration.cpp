// Duration parsing for the command line.
#include "anonkit/policy/duration.hpp"

#include <fmt/format.h>

#include "anonkit/error.hpp"

namespace anonkit::policy {

std::chrono::milliseconds parse_duration(std::string_view text) {
  auto bad = [&] {
    return InvalidArgument(fmt::format(
        "anonkit: duration '{}': expected e.g. 90s, 15m, 1h30m, 2d (units ms, s, m, h, d)", text));
  };
  if (text.empty()) throw bad();
  constexpr std::int64_t kMax = 366LL * 24 * 3600 * 1000;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i++] - '0');
      if (n > kMax) throw bad();
    }
    if (i == start) throw bad();
    std::int64_t unit = 1000;  // bare number: seconds, only as the whole text
    if (i == text.size()) {
      if (start != 0) throw bad();
    } else if (text.substr(i, 2) == "ms") {
      unit = 1, i += 2;
    } else {
      switch (text[i++]) {
        case 's':
          unit = 1000;
          break;
        case 'm':
          unit = 60 * 1000;
          break;
        case 'h':
          unit = 3600 * 1000;
          break;
        case 'd':
          unit = 24 * 3600 * 1000;
          break;
        default:
          throw bad();
      }
    }
    total += n * unit;
    if (total > kMax) throw bad();
  }
  if (total == 0) throw bad();
  return std::chrono::milliseconds(total);
}

}  // namespace anonkit::policy
