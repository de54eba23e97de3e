// Generalization: a number or a date replaced by the interval or period it falls in, so that rare
// exact values (an age of 97, a birth date) stop singling a person out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anonkit::generalize {

// Fixed-width buckets. Integers: "40-49" (negative: "-10--1"). Reals: half-open "[40,50)".
// Throws InvalidArgument for width <= 0 or a non-finite value, width or origin.
[[nodiscard]] std::string bucket_int(std::int64_t value, std::int64_t width,
                                     std::int64_t origin = 0);
[[nodiscard]] std::string bucket_real(double value, double width, double origin = 0.0);

// Explicit edges, e.g. "[0,18,30,50,65]": strictly increasing, at least one. With integer edges the
// labels are "<0", "0-17", ..., "65+"; with any real edge "<0.5", "[0.5,1.5)", ">=1.5".
class Edges {
 public:
  // Throws InvalidArgument naming what is wrong with `spec`.
  [[nodiscard]] static Edges parse(std::string_view spec);
  [[nodiscard]] std::string label(double value) const;
  [[nodiscard]] std::size_t size() const noexcept { return edges_.size(); }

 private:
  std::vector<double> edges_;
  bool integral_ = true;
};

enum class DateUnit { kYear, kQuarter, kMonth, kWeek, kDay, kHour };
[[nodiscard]] std::optional<DateUnit> parse_date_unit(std::string_view name) noexcept;

struct DateTime {
  int year, month, day, hour, minute, second;
};

// SQLite's date/time text forms: "YYYY-MM-DD", with " " or "T" and "HH:MM[:SS[.fff]]", an optional
// "Z" or "±HH:MM" (converted to UTC, as SQLite's date functions do). nullopt when not a valid date.
[[nodiscard]] std::optional<DateTime> parse_datetime(std::string_view text) noexcept;
// Seconds since 1970-01-01 UTC. nullopt outside years 0000-9999.
[[nodiscard]] std::optional<DateTime> from_unix_seconds(double seconds) noexcept;

// "2024", "2024-Q1", "2024-03", "2024-W11" (ISO 8601 week-numbering year), "2024-03-15",
// "2024-03-15 14:00".
[[nodiscard]] std::string bucket_date(const DateTime& t, DateUnit unit);
// The first instant of the period `t` falls in (ISO weeks start on Monday): a date or timestamp
// column generalized in place keeps its type.
[[nodiscard]] DateTime period_start(const DateTime& t, DateUnit unit);

}  // namespace anonkit::generalize
