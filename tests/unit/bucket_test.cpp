// Generalization: numeric buckets (incl. the int64 extremes), explicit edges, dates and ISO weeks,
// checked against values computed independently (Python's datetime for the calendar cases).
#include "anonkit/generalize/bucket.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "anonkit/error.hpp"

namespace anonkit::generalize {
namespace {

TEST(Bucket, Integers) {
  EXPECT_EQ(bucket_int(42, 10), "40-49");
  EXPECT_EQ(bucket_int(40, 10), "40-49");
  EXPECT_EQ(bucket_int(49, 10), "40-49");
  EXPECT_EQ(bucket_int(-3, 10), "-10--1");
  EXPECT_EQ(bucket_int(-10, 10), "-10--1");
  EXPECT_EQ(bucket_int(45, 10, 5), "45-54");
  EXPECT_EQ(bucket_int(44, 10, 5), "35-44");
  EXPECT_EQ(bucket_int(7, 1), "7-7");
  EXPECT_EQ(bucket_int(INT64_MAX, 10), "9223372036854775800-9223372036854775809");
  EXPECT_EQ(bucket_int(INT64_MIN, 10), "-9223372036854775810--9223372036854775801");
  EXPECT_EQ(bucket_int(0, INT64_MAX, INT64_MIN), "-1-9223372036854775805");
  EXPECT_THROW((void)bucket_int(1, 0), InvalidArgument);
  EXPECT_THROW((void)bucket_int(1, -5), InvalidArgument);
}

TEST(Bucket, Reals) {
  EXPECT_EQ(bucket_real(42.5, 10), "[40,50)");
  EXPECT_EQ(bucket_real(-0.5, 1), "[-1,0)");
  EXPECT_EQ(bucket_real(1.25, 0.5), "[1,1.5)");
  EXPECT_EQ(bucket_real(5, 2.5, 1), "[3.5,6)");
  // The value always lies in the interval printed, whatever the rounding of the division.
  for (double v = -3; v < 3; v += 0.01) {
    const std::string label = bucket_real(v, 0.1);
    const double lo = std::stod(label.substr(1));
    const double hi = std::stod(label.substr(label.find(',') + 1));
    EXPECT_TRUE(lo <= v && v < hi) << v << " " << label;
  }
  EXPECT_THROW((void)bucket_real(std::nan(""), 1), InvalidArgument);
  EXPECT_THROW((void)bucket_real(1, std::numeric_limits<double>::infinity()), InvalidArgument);
  EXPECT_THROW((void)bucket_real(1, 0.0), InvalidArgument);
  EXPECT_THROW((void)bucket_real(1e308, 1e-308), InvalidArgument);
}

TEST(Bucket, IntegerEdges) {
  const Edges e = Edges::parse("[0,18,30,50,65]");
  EXPECT_EQ(e.label(-1), "<0");
  EXPECT_EQ(e.label(0), "0-17");
  EXPECT_EQ(e.label(17), "0-17");
  EXPECT_EQ(e.label(17.5), "0-17");
  EXPECT_EQ(e.label(18), "18-29");
  EXPECT_EQ(e.label(49), "30-49");
  EXPECT_EQ(e.label(64), "50-64");
  EXPECT_EQ(e.label(65), "65+");
  EXPECT_EQ(e.label(1000), "65+");
  EXPECT_EQ(Edges::parse(" [ 10 ] ").label(3), "<10");
}

TEST(Bucket, RealEdges) {
  const Edges e = Edges::parse("[0.5, 1.5, 2]");
  EXPECT_EQ(e.label(0), "<0.5");
  EXPECT_EQ(e.label(0.5), "[0.5,1.5)");
  EXPECT_EQ(e.label(1.9), "[1.5,2)");
  EXPECT_EQ(e.label(2), ">=2");
}

TEST(Bucket, BadEdges) {
  for (const char* bad : {"[]", "[1,1]", "[2,1]", "0,1", "[a]", "[1,,2]", "[nan]", "[1e999]", "[1"})
    EXPECT_THROW((void)Edges::parse(bad), InvalidArgument) << bad;
  try {
    (void)Edges::parse("[3,2]");
  } catch (const InvalidArgument& e) {
    EXPECT_STREQ(e.what(),
                 "anonkit: bucket edges must look like '[0,18,30,50,65]' (strictly increasing "
                 "numbers); not strictly increasing: '[3,2]'");
  }
}

std::string date(std::string_view text, std::string_view unit) {
  const auto t = parse_datetime(text);
  if (!t) return "invalid";
  return bucket_date(*t, *parse_date_unit(unit));
}

TEST(Bucket, Dates) {
  EXPECT_EQ(date("2024-03-15", "year"), "2024");
  EXPECT_EQ(date("2024-03-15", "quarter"), "2024-Q1");
  EXPECT_EQ(date("2024-12-31", "quarter"), "2024-Q4");
  EXPECT_EQ(date("2024-03-15", "month"), "2024-03");
  EXPECT_EQ(date("2024-03-15", "week"), "2024-W11");
  EXPECT_EQ(date("2024-12-30", "week"), "2025-W01");  // ISO week-numbering year
  EXPECT_EQ(date("2021-01-03", "week"), "2020-W53");
  EXPECT_EQ(date("2024-01-01", "week"), "2024-W01");
  EXPECT_EQ(date("2024-03-15 14:32:10", "day"), "2024-03-15");
  EXPECT_EQ(date("2024-03-15T14:32:10.123", "hour"), "2024-03-15 14:00");
  EXPECT_EQ(date("2024-03-15 14:32", "hour"), "2024-03-15 14:00");
  EXPECT_EQ(date("2024-03-15T23:30:00-05:00", "day"), "2024-03-16");  // to UTC, as SQLite does
  EXPECT_EQ(date("2024-03-01 00:30+03:00", "month"), "2024-02");
  EXPECT_EQ(date("2024-03-15 14:32:10Z", "hour"), "2024-03-15 14:00");
  EXPECT_EQ(date("2024-02-29", "day"), "2024-02-29");
  EXPECT_FALSE(parse_date_unit("fortnight").has_value());
}

TEST(Bucket, InvalidDates) {
  for (const char* bad :
       {"2023-02-29", "2024-13-01", "2024-00-10", "15/03/2024", "2024-3-15", "2024-03-15 25:00",
        "2024-03-15 14:60", "2024-03-15x", "", "now", "2024-03-15 14:32:10+15:00"})
    EXPECT_FALSE(parse_datetime(bad).has_value()) << bad;
}

TEST(Bucket, UnixSeconds) {
  const auto t = from_unix_seconds(1710513130);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(bucket_date(*t, DateUnit::kHour), "2024-03-15 14:00");
  EXPECT_EQ(bucket_date(*from_unix_seconds(-1), DateUnit::kDay), "1969-12-31");
  EXPECT_EQ(bucket_date(*from_unix_seconds(0.5), DateUnit::kDay), "1970-01-01");
  EXPECT_FALSE(from_unix_seconds(1e18).has_value());
  EXPECT_FALSE(from_unix_seconds(std::nan("")).has_value());
}

}  // namespace
}  // namespace anonkit::generalize
