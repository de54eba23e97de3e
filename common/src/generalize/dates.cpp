// Date buckets. Calendar arithmetic by days since 1970-01-01 (H. Hinnant's civil-date algorithms),
// so time zones, ISO weeks and epoch seconds need no C library time functions.
#include <fmt/format.h>

#include <cmath>

#include "anonkit/generalize/bucket.hpp"

namespace anonkit::generalize {
namespace {

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, int& y, int& m, int& d) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
}

bool leap(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
int days_in_month(int y, int m) noexcept {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[m - 1] + (m == 2 && leap(y));
}

// Reads exactly `n` digits at s[i].
bool digits(std::string_view s, std::size_t& i, int n, int& out) noexcept {
  if (i + static_cast<std::size_t>(n) > s.size()) return false;
  out = 0;
  for (int k = 0; k < n; ++k) {
    const char c = s[i + static_cast<std::size_t>(k)];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  i += static_cast<std::size_t>(n);
  return true;
}

DateTime from_minutes(std::int64_t days, std::int64_t minute_of_day, int second) {
  DateTime t{};
  civil_from_days(days, t.year, t.month, t.day);
  t.hour = static_cast<int>(minute_of_day / 60);
  t.minute = static_cast<int>(minute_of_day % 60);
  t.second = second;
  return t;
}

}  // namespace

std::optional<DateUnit> parse_date_unit(std::string_view name) noexcept {
  if (name == "year") return DateUnit::kYear;
  if (name == "quarter") return DateUnit::kQuarter;
  if (name == "month") return DateUnit::kMonth;
  if (name == "week") return DateUnit::kWeek;
  if (name == "day") return DateUnit::kDay;
  if (name == "hour") return DateUnit::kHour;
  return std::nullopt;
}

std::optional<DateTime> parse_datetime(std::string_view s) noexcept {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  std::size_t i = 0;
  DateTime t{};
  if (!digits(s, i, 4, t.year) || i >= s.size() || s[i++] != '-' || !digits(s, i, 2, t.month) ||
      i >= s.size() || s[i++] != '-' || !digits(s, i, 2, t.day))
    return std::nullopt;
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > days_in_month(t.year, t.month))
    return std::nullopt;
  int offset_minutes = 0;
  if (i < s.size()) {
    if (s[i] != ' ' && s[i] != 'T') return std::nullopt;
    ++i;
    if (!digits(s, i, 2, t.hour) || i >= s.size() || s[i++] != ':' || !digits(s, i, 2, t.minute))
      return std::nullopt;
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!digits(s, i, 2, t.second)) return std::nullopt;
      if (i < s.size() && s[i] == '.') {
        ++i;
        const std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == start) return std::nullopt;
      }
    }
    if (t.hour > 23 || t.minute > 59 || t.second > 59) return std::nullopt;
    while (i < s.size() && s[i] == ' ') ++i;
    if (i < s.size()) {
      if (s[i] == 'Z' || s[i] == 'z') {
        ++i;
      } else if (s[i] == '+' || s[i] == '-') {
        const int sign = s[i++] == '+' ? 1 : -1;
        int oh = 0, om = 0;
        if (!digits(s, i, 2, oh) || i >= s.size() || s[i++] != ':' || !digits(s, i, 2, om) ||
            oh > 14 || om > 59)
          return std::nullopt;
        offset_minutes = sign * (oh * 60 + om);
      }
    }
    if (i != s.size()) return std::nullopt;
  }
  if (offset_minutes == 0) return t;
  // Local time minus its offset is UTC.
  const std::int64_t minutes =
      days_from_civil(t.year, static_cast<unsigned>(t.month), static_cast<unsigned>(t.day)) * 1440 +
      t.hour * 60 + t.minute - offset_minutes;
  const std::int64_t days = minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440);
  DateTime u = from_minutes(days, minutes - days * 1440, t.second);
  if (u.year < 0 || u.year > 9999) return std::nullopt;
  return u;
}

std::optional<DateTime> from_unix_seconds(double seconds) noexcept {
  // Years 0000-9999, as SQLite's date functions allow.
  if (!std::isfinite(seconds) || seconds < -62167219200.0 || seconds >= 253402300800.0)
    return std::nullopt;
  const auto whole = static_cast<std::int64_t>(std::floor(seconds));
  const std::int64_t days = whole >= 0 ? whole / 86400 : -((-whole + 86399) / 86400);
  const std::int64_t rest = whole - days * 86400;
  return from_minutes(days, rest / 60, static_cast<int>(rest % 60));
}

std::string bucket_date(const DateTime& t, DateUnit unit) {
  switch (unit) {
    case DateUnit::kYear:
      return fmt::format("{:04d}", t.year);
    case DateUnit::kQuarter:
      return fmt::format("{:04d}-Q{}", t.year, (t.month - 1) / 3 + 1);
    case DateUnit::kMonth:
      return fmt::format("{:04d}-{:02d}", t.year, t.month);
    case DateUnit::kWeek: {
      // ISO 8601: weeks start on Monday; week 1 holds the year's first Thursday.
      const std::int64_t days =
          days_from_civil(t.year, static_cast<unsigned>(t.month), static_cast<unsigned>(t.day));
      const int weekday = static_cast<int>(((days % 7) + 7 + 3) % 7);  // Monday = 0
      const std::int64_t thursday = days - weekday + 3;
      int y, m, d;
      civil_from_days(thursday, y, m, d);
      const std::int64_t week = (thursday - days_from_civil(y, 1, 1)) / 7 + 1;
      return fmt::format("{:04d}-W{:02d}", y, week);
    }
    case DateUnit::kDay:
      return fmt::format("{:04d}-{:02d}-{:02d}", t.year, t.month, t.day);
    case DateUnit::kHour:
      return fmt::format("{:04d}-{:02d}-{:02d} {:02d}:00", t.year, t.month, t.day, t.hour);
  }
  return {};
}

DateTime period_start(const DateTime& t, DateUnit unit) {
  DateTime s{t.year, t.month, t.day, t.hour, 0, 0};
  switch (unit) {
    case DateUnit::kYear:
      return {t.year, 1, 1, 0, 0, 0};
    case DateUnit::kQuarter:
      return {t.year, (t.month - 1) / 3 * 3 + 1, 1, 0, 0, 0};
    case DateUnit::kMonth:
      return {t.year, t.month, 1, 0, 0, 0};
    case DateUnit::kWeek: {
      const std::int64_t days =
          days_from_civil(t.year, static_cast<unsigned>(t.month), static_cast<unsigned>(t.day));
      const int weekday = static_cast<int>(((days % 7) + 7 + 3) % 7);  // Monday = 0
      return from_minutes(days - weekday, 0, 0);
    }
    case DateUnit::kDay:
      return {t.year, t.month, t.day, 0, 0, 0};
    case DateUnit::kHour:
      return s;
  }
  return s;
}

}  // namespace anonkit::generalize
