// A small lexer over PostgreSQL's token rules: enough to know where literals, quoted identifiers,
// dollar quotes and comments begin and end, so parentheses and semicolons are judged only in code.
#include "anonkit/policy/sql_condition.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <string>

#include "anonkit/error.hpp"

namespace anonkit::policy {
namespace {

bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

}  // namespace

// Walks the tokens of `s`, failing on what check_sql_condition refuses; calls `on_word` with each
// bare word (not inside quotes) and the first character after it that is not white space.
void lex(std::string_view s, const std::function<void(std::string_view, char)>& on_word) {
  auto fail = [&](std::string_view what) {
    throw InvalidArgument(fmt::format(
        "anonkit: filter {}: expected one boolean SQL expression (no ';', comments or $n "
        "parameters, balanced parentheses)",
        what));
  };
  if (s.size() > kMaxConditionBytes)
    fail(fmt::format("is {} bytes long (the limit is {})", s.size(), kMaxConditionBytes));
  // Anywhere, quoted or not: libpq sends C strings, so a NUL would cut the statement short.
  if (s.find('\0') != std::string_view::npos) fail("holds a NUL byte");
  bool any = false;
  int depth = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
      ++i;
      continue;
    }
    any = true;
    // Skips a quoted run starting at s[i]: a doubled quote stands for itself, and with
    // `backslashes` a backslash escapes the next character.
    auto skip_quoted = [&](char quote, bool backslashes, std::string_view unterminated) {
      for (++i;; ++i) {
        if (i >= s.size()) fail(unterminated);
        if (backslashes && s[i] == '\\') {
          ++i;
        } else if (s[i] == quote) {
          if (i + 1 >= s.size() || s[i + 1] != quote) break;
          ++i;
        }
      }
      ++i;
    };
    if (c == '\'') {
      // An E'' string (a lone E just before) also knows backslash escapes.
      const bool escapes =
          i > 0 && (s[i - 1] == 'e' || s[i - 1] == 'E') && (i < 2 || !ident_char(s[i - 2]));
      skip_quoted('\'', escapes, "has an unterminated string literal");
    } else if (c == '"') {
      skip_quoted('"', false, "has an unterminated quoted identifier");
    } else if (c == '$') {
      std::size_t j = i + 1;
      if (j < s.size() && s[j] >= '0' && s[j] <= '9') fail("refers to a positional parameter");
      while (j < s.size() && ident_char(s[j])) ++j;
      if (j >= s.size() || s[j] != '$') fail("has a stray '$'");
      const std::string_view tag = s.substr(i, j - i + 1);
      const auto end = s.find(tag, j + 1);
      if (end == std::string_view::npos) fail("has an unterminated dollar-quoted string");
      i = end + tag.size();
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      fail("has a comment");
    } else if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      fail("has a comment");
    } else if (c == ';') {
      fail("has a ';'");
    } else if (c == '(') {
      ++depth, ++i;
    } else if (c == ')') {
      if (--depth < 0) fail("closes a parenthesis it did not open");
      ++i;
    } else if (ident_start(c)) {
      const std::size_t start = i;
      while (i < s.size() && ident_char(s[i])) ++i;
      if (i < s.size() && s[i] == '$') ++i;  // identifiers may contain '$' after the first char
      while (i < s.size() && (ident_char(s[i]) || s[i] == '$')) ++i;
      if (on_word) {
        std::size_t j = i;
        while (j < s.size() && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r')) ++j;
        on_word(s.substr(start, i - start), j < s.size() ? s[j] : '\0');
      }
    } else {
      ++i;
    }
  }
  if (!any) fail("is empty");
  if (depth != 0) fail("leaves a parenthesis open");
}

void check_sql_condition(std::string_view condition) { lex(condition, {}); }

bool sql_condition_is_row_local(std::string_view condition) {
  // Words whose value changes with time, the session or other rows.
  static constexpr std::array<std::string_view, 13> kMoving{"select",
                                                            "exists",
                                                            "now",
                                                            "current_date",
                                                            "current_time",
                                                            "localtime",
                                                            "localtimestamp",
                                                            "current_timestamp",
                                                            "clock_timestamp",
                                                            "statement_timestamp",
                                                            "transaction_timestamp",
                                                            "timeofday",
                                                            "random"};
  // Calls (a word before '(') that depend on their arguments alone, and keywords a '(' follows.
  static constexpr std::array<std::string_view, 34> kPure{
      "and",     "or",    "not",    "in",          "any",          "all",      "some",
      "array",   "row",   "cast",   "coalesce",    "nullif",       "greatest", "least",
      "lower",   "upper", "length", "char_length", "octet_length", "abs",      "trim",
      "btrim",   "ltrim", "rtrim",  "substr",      "substring",    "position", "strpos",
      "replace", "round", "floor",  "ceil",        "date_trunc",   "extract"};
  bool local = true;
  lex(condition, [&](std::string_view word, char next) {
    std::string w(word);
    std::transform(w.begin(), w.end(), w.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::find(kMoving.begin(), kMoving.end(), w) != kMoving.end()) local = false;
    if (next == '(' && std::find(kPure.begin(), kPure.end(), w) == kPure.end()) local = false;
  });
  return local;
}

}  // namespace anonkit::policy
