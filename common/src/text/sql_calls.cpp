// SQLite's lexical rules as far as finding calls needs them (tokenize.c): '--' and '/* */'
// comments, 'strings' with '' escapes, "identifiers", [identifiers], `identifiers`, X'blobs'.
#include "anonkit/text/sql_calls.hpp"

#include <cmath>
#include <cstdlib>

namespace anonkit::text {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool ident_start(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}
bool ident_char(unsigned char c) { return ident_start(c) || (c >= '0' && c <= '9') || c == '$'; }

// The end of a quoted run starting at `pos` (the opening quote), doubled quotes escaping.
std::size_t quoted_end(std::string_view sql, std::size_t pos, char close) {
  std::size_t i = pos + 1;
  while (i < sql.size()) {
    if (sql[i] == close) {
      if (close != ']' && i + 1 < sql.size() && sql[i + 1] == close) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return sql.size();
}

}  // namespace

SqlToken next_sql_token(std::string_view sql, std::size_t pos) {
  while (pos < sql.size()) {
    const char c = sql[pos];
    if (is_space(c)) {
      ++pos;
    } else if (c == '-' && pos + 1 < sql.size() && sql[pos + 1] == '-') {
      const std::size_t nl = sql.find('\n', pos);
      pos = nl == std::string_view::npos ? sql.size() : nl + 1;
    } else if (c == '/' && pos + 1 < sql.size() && sql[pos + 1] == '*') {
      const std::size_t close = sql.find("*/", pos + 2);
      pos = close == std::string_view::npos ? sql.size() : close + 2;
    } else {
      break;
    }
  }
  if (pos >= sql.size()) return {SqlToken::kEnd, sql.size(), sql.size(), {}};
  const auto c = static_cast<unsigned char>(sql[pos]);
  switch (c) {
    case '(':
      return {SqlToken::kOpen, pos, pos + 1, {}};
    case ')':
      return {SqlToken::kClose, pos, pos + 1, {}};
    case ',':
      return {SqlToken::kComma, pos, pos + 1, {}};
    case '\'':
      return {SqlToken::kOther, pos, quoted_end(sql, pos, '\''), {}};
    case '"':
    case '`':
    case '[': {
      const char close = c == '[' ? ']' : static_cast<char>(c);
      const std::size_t end = quoted_end(sql, pos, close);
      std::string_view word = sql.substr(pos + 1, end - pos - 1);
      if (!word.empty() && word.back() == close) word.remove_suffix(1);
      // A doubled quote inside stays doubled: such a name is never one of ours.
      return {SqlToken::kIdentifier, pos, end, word};
    }
    default:
      break;
  }
  if ((c == 'x' || c == 'X') && pos + 1 < sql.size() && sql[pos + 1] == '\'')
    return {SqlToken::kOther, pos, quoted_end(sql, pos + 1, '\''), {}};
  if (ident_start(c)) {
    std::size_t end = pos + 1;
    while (end < sql.size() && ident_char(static_cast<unsigned char>(sql[end]))) ++end;
    return {SqlToken::kIdentifier, pos, end, sql.substr(pos, end - pos)};
  }
  if ((c >= '0' && c <= '9') || c == '.') {  // a number, with its exponent sign
    std::size_t end = pos + 1;
    while (end < sql.size()) {
      const auto d = static_cast<unsigned char>(sql[end]);
      if (ident_char(d) || d == '.') {
        ++end;
      } else if ((d == '+' || d == '-') && (sql[end - 1] == 'e' || sql[end - 1] == 'E') &&
                 !(sql[pos] == '0' && pos + 1 < end &&
                   (sql[pos + 1] == 'x' || sql[pos + 1] == 'X'))) {
        ++end;
      } else {
        break;
      }
    }
    return {SqlToken::kOther, pos, end, {}};
  }
  return {SqlToken::kOther, pos, pos + 1, {}};
}

std::optional<SqlNumber> sql_number(std::string_view arg) {
  bool negative = false;
  std::size_t i = 0;
  // Signs and spaces before the number ("- 1", "+0.5"), as SQLite reads unary operators.
  while (i < arg.size() && (arg[i] == '-' || arg[i] == '+' || is_space(arg[i]))) {
    if (arg[i] == '-') negative = !negative;
    ++i;
  }
  const std::string_view body = arg.substr(i);
  if (body.empty() || body.size() > 64) return std::nullopt;
  SqlNumber out;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    std::uint64_t v = 0;
    for (std::size_t k = 2; k < body.size(); ++k) {
      const char h = body[k];
      int d;
      if (h >= '0' && h <= '9')
        d = h - '0';
      else if (h >= 'a' && h <= 'f')
        d = h - 'a' + 10;
      else if (h >= 'A' && h <= 'F')
        d = h - 'A' + 10;
      else
        return std::nullopt;
      if (k - 2 >= 16) return std::nullopt;  // SQLite: hex literals are 64-bit
      v = v * 16 + static_cast<std::uint64_t>(d);
    }
    out.value = static_cast<double>(static_cast<std::int64_t>(v));
    out.integer = true;
  } else {
    // digits [. digits] [e [sign] digits], at least one digit in the mantissa
    std::size_t k = 0, digits = 0;
    while (k < body.size() && body[k] >= '0' && body[k] <= '9') ++k, ++digits;
    bool integer = true;
    if (k < body.size() && body[k] == '.') {
      integer = false;
      ++k;
      while (k < body.size() && body[k] >= '0' && body[k] <= '9') ++k, ++digits;
    }
    if (digits == 0) return std::nullopt;
    if (k < body.size() && (body[k] == 'e' || body[k] == 'E')) {
      integer = false;
      ++k;
      if (k < body.size() && (body[k] == '+' || body[k] == '-')) ++k;
      std::size_t exp_digits = 0;
      while (k < body.size() && body[k] >= '0' && body[k] <= '9') ++k, ++exp_digits;
      if (exp_digits == 0) return std::nullopt;
    }
    if (k != body.size()) return std::nullopt;
    const std::string copy(body);
    out.value = std::strtod(copy.c_str(), nullptr);
    // SQLite types an integer literal beyond int64 as REAL.
    out.integer = integer && std::fabs(out.value) < 9223372036854775808.0;
  }
  if (negative) out.value = -out.value;
  return out;
}

}  // namespace anonkit::text
