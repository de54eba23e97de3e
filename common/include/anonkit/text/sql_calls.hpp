// Finds calls of named SQL functions in a statement's text, the way SQLite tokenizes it: comments,
// string literals, quoted identifiers and blobs are skipped, so a name inside them is not a call.
// The DP functions use it to read their parameters from the statement itself (sqlite_ext/
// dp_statements.cpp): from the text, not from the rows, so what a query releases and what it is
// charged never depend on the data.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace anonkit::text {

struct SqlCall {
  std::string name;               // lower case
  std::vector<std::string> args;  // each argument's text, trimmed; nested calls kept as text
};

// Every call `name(...)` whose lower-cased name satisfies `wanted`. Unbalanced text (a statement
// cut short) yields the calls that were complete. Linear in the text's length.
template <typename Wanted>
std::vector<SqlCall> find_sql_calls(std::string_view sql, Wanted wanted);

// A numeric literal argument: optional signs, then digits with an optional fraction and exponent,
// or a hexadecimal integer; nothing else (no expressions, no strings). `integer` when written
// without '.', exponent (as SQLite types it).
struct SqlNumber {
  double value = 0;
  bool integer = false;
};
[[nodiscard]] std::optional<SqlNumber> sql_number(std::string_view arg);

// Implementation detail of find_sql_calls: the tokenizer's callback form.
struct SqlToken {
  enum Kind { kIdentifier, kOpen, kClose, kComma, kOther, kEnd } kind;
  std::size_t begin, end;  // byte range in the text
  std::string_view word;   // identifier text without quotes (kIdentifier)
};
// Reads the token at `pos` (skipping spaces and comments).
[[nodiscard]] SqlToken next_sql_token(std::string_view sql, std::size_t pos);

template <typename Wanted>
std::vector<SqlCall> find_sql_calls(std::string_view sql, Wanted wanted) {
  std::vector<SqlCall> calls;
  std::size_t pos = 0;
  while (true) {
    const SqlToken t = next_sql_token(sql, pos);
    if (t.kind == SqlToken::kEnd) break;
    pos = t.end;
    if (t.kind != SqlToken::kIdentifier) continue;
    std::string lower(t.word);
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (!wanted(std::string_view(lower))) continue;
    const SqlToken open = next_sql_token(sql, pos);
    if (open.kind != SqlToken::kOpen) continue;
    SqlCall call{std::move(lower), {}};
    std::size_t depth = 1, arg_begin = open.end, p = open.end;
    bool complete = false;
    while (true) {
      const SqlToken a = next_sql_token(sql, p);
      if (a.kind == SqlToken::kEnd) break;
      p = a.end;
      if (a.kind == SqlToken::kOpen) ++depth;
      if (a.kind == SqlToken::kClose && --depth == 0) {
        call.args.emplace_back(sql.substr(arg_begin, a.begin - arg_begin));
        complete = true;
        break;
      }
      if (a.kind == SqlToken::kComma && depth == 1) {
        call.args.emplace_back(sql.substr(arg_begin, a.begin - arg_begin));
        arg_begin = a.end;
      }
    }
    if (!complete) break;
    for (std::string& arg : call.args) {
      const std::size_t b = arg.find_first_not_of(" \t\r\n\f");
      const std::size_t e = arg.find_last_not_of(" \t\r\n\f");
      arg = b == std::string::npos ? std::string() : arg.substr(b, e - b + 1);
    }
    if (call.args.size() == 1 && call.args[0].empty()) call.args.clear();  // f()
    calls.push_back(std::move(call));
    // Calls nested in the arguments are found too: continue right after the name's '('.
    pos = open.end;
  }
  return calls;
}

}  // namespace anonkit::text
