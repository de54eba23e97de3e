// require_written_call: the running statements' text, searched with anonkit/text/sql_calls.hpp.
#include "written_calls.hpp"

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "anonkit/error.hpp"
#include "anonkit/text/sql_calls.hpp"

namespace anonkit::sqlite {
namespace {

// A literal argument's text equals the value the function received.
bool same_value(std::string_view text, sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
      return text.size() == 4 && (text == "NULL" || text == "null" || text == "Null");
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: {
      const auto n = text::sql_number(text);
      return n && n->value == sqlite3_value_double(v);
    }
    case SQLITE_TEXT: {
      if (text.size() < 2 || text.front() != '\'' || text.back() != '\'') return false;
      std::string literal;
      for (std::size_t i = 1; i + 1 < text.size(); ++i) {
        literal.push_back(text[i]);
        if (text[i] == '\'') ++i;  // '' inside a literal is one quote
      }
      const auto* bytes = reinterpret_cast<const char*>(sqlite3_value_text(v));
      return literal == std::string_view(bytes, static_cast<std::size_t>(sqlite3_value_bytes(v)));
    }
    default:
      return false;  // BLOB arguments are never written by hand for these functions
  }
}

}  // namespace

void require_written_call(sqlite3_context* ctx, const char* name, int argc, sqlite3_value** argv) {
  sqlite3* db = sqlite3_context_db_handle(ctx);
  for (sqlite3_stmt* s = sqlite3_next_stmt(db, nullptr); s != nullptr;
       s = sqlite3_next_stmt(db, s)) {
    if (!sqlite3_stmt_busy(s)) continue;
    char* expanded = sqlite3_expanded_sql(s);
    if (expanded == nullptr) continue;
    const std::string sql(expanded);
    sqlite3_free(expanded);
    const auto calls = text::find_sql_calls(sql, [name](std::string_view n) { return n == name; });
    for (const text::SqlCall& call : calls) {
      if (static_cast<int>(call.args.size()) != argc) continue;
      bool same = true;
      for (int i = 0; i < argc && same; ++i)
        same = same_value(call.args[static_cast<std::size_t>(i)], argv[i]);
      if (same) return;
    }
  }
  throw InvalidArgument(fmt::format(
      "anonkit: {}() runs only when written in the statement itself, with its arguments as "
      "literals or bound parameters; it refuses to run from a database's schema (CHECK "
      "constraints, defaults, views, triggers)",
      name));
}

}  // namespace anonkit::sqlite
