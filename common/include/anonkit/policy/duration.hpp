// Durations on the command line: "90s", "15m", "1h30m", "2d", as daemon intervals and timeouts.
#pragma once

#include <chrono>
#include <string_view>

namespace anonkit::policy {

// One or more <number><unit> parts, units ms, s, m, h, d; a bare number is seconds. Throws
// InvalidArgument for anything else, zero, or more than 366 days.
[[nodiscard]] std::chrono::milliseconds parse_duration(std::string_view text);

}  // namespace anonkit::policy
