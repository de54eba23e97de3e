// The SQL call finder that the DP functions read their parameters with: calls found where SQLite
// would see them, never inside comments, strings or quoted names; numeric literals read exactly.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "anonkit/text/sql_calls.hpp"

namespace anonkit::text {
namespace {

std::vector<SqlCall> dp_calls(std::string_view sql) {
  return find_sql_calls(sql, [](std::string_view n) {
    return n == "dp_count" || n == "dp_sum" || n == "dp_mean";
  });
}

TEST(SqlCalls, FindsCallsAndTheirArguments) {
  const auto calls = dp_calls(
      "SELECT DP_SUM( x , 0, 100 , 1.5 ), dp_count(coalesce(x, 1), ?), \"dp_mean\"(x,0,1,1) "
      "FROM t WHERE y = 'dp_sum(1,2,3,4)' -- dp_count(a, 9)\n /* dp_count(b, 8) */");
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].name, "dp_sum");
  EXPECT_EQ(calls[0].args, (std::vector<std::string>{"x", "0", "100", "1.5"}));
  EXPECT_EQ(calls[1].name, "dp_count");
  EXPECT_EQ(calls[1].args, (std::vector<std::string>{"coalesce(x, 1)", "?"}));
  EXPECT_EQ(calls[2].name, "dp_mean");
}

TEST(SqlCalls, NestedCallsAndOddQuoting) {
  const auto calls = dp_calls(
      "select dp_count(x, 1) from (select dp_sum(a, 0, 1, 2) as x from [dp_count(] , `t`) "
      "where 'it''s dp_count(1,1)' <> x'dp_count'");
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].args[1], "1");
  EXPECT_EQ(calls[1].name, "dp_sum");
  // A call inside another call's arguments is found as well.
  const auto nested = dp_calls("select dp_sum(dp_count(x, 1), 0, 1, 1)");
  ASSERT_EQ(nested.size(), 2u);
  EXPECT_EQ(nested[1].name, "dp_count");
  // Text cut short: only complete calls.
  EXPECT_EQ(dp_calls("select dp_count(x, 1), dp_sum(x, 0").size(), 1u);
  EXPECT_TRUE(dp_calls("select 'dp_count(x, 1)").empty());
  EXPECT_TRUE(dp_calls("select dp_count_x(1), xdp_count(1), dp_count").empty());
}

TEST(SqlCalls, NumbersAsSqliteReadsThem) {
  EXPECT_EQ(sql_number("1")->value, 1);
  EXPECT_TRUE(sql_number("1")->integer);
  EXPECT_FALSE(sql_number("1.0")->integer);
  EXPECT_FALSE(sql_number("1e3")->integer);
  EXPECT_EQ(sql_number("1e3")->value, 1000);
  EXPECT_EQ(sql_number("- 2.5")->value, -2.5);
  EXPECT_EQ(sql_number("--2")->value, 2);
  EXPECT_EQ(sql_number("+.5")->value, 0.5);
  EXPECT_EQ(sql_number("0x10")->value, 16);
  EXPECT_TRUE(sql_number("0x10")->integer);
  EXPECT_FALSE(sql_number("99999999999999999999")->integer);  // beyond int64: REAL
  for (const char* bad : {"", "x", "1+1", "?", "'1'", "NULL", "1e", "1.2.3", "0x", "0xg",
                          "0x11112222333344445", ".", "e5", "(1)"})
    EXPECT_FALSE(sql_number(bad).has_value()) << bad;
}

// Property: a random mix of SQL fragments, with dp_ calls planted only in code positions, finds
// exactly the planted calls; the same text with each planted call moved into a comment or string
// finds none of them (negative control).
TEST(SqlCalls, PlantedCallsAreFoundExactly) {
  std::mt19937 rng(7);
  const std::vector<std::string> noise = {
      " ", "\n", "x", "'a''b'", "\"q\"\"r\"", "[br]", "`bt`", "-- c\n", "/* c */", "1.5e-3",
      "(y)", ",", "f(a, (b), 'c,)')", "x'00ff'", "dp_countx", "e"};
  for (int round = 0; round < 300; ++round) {
    std::string sql = "select ", hidden = "select ";
    int planted = 0;
    for (int k = 0; k < 12; ++k) {
      const std::string piece = noise[rng() % noise.size()];
      sql += piece + " ";
      hidden += piece + " ";
      if (rng() % 3 == 0) {
        const std::string call = "dp_count(x" + std::to_string(k) + ", " + std::to_string(k) + ")";
        sql += call + " , ";
        hidden += (rng() % 2 ? "'" + call + "'" : "/* " + call + " */") + " , ";
        ++planted;
      }
    }
    const auto found = dp_calls(sql);
    ASSERT_EQ(static_cast<int>(found.size()), planted) << sql;
    for (const SqlCall& c : found) ASSERT_EQ(c.args.size(), 2u) << sql;
    ASSERT_TRUE(dp_calls(hidden).empty()) << hidden;
  }
}

}  // namespace
}  // namespace anonkit::text
