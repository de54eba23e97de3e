// Loading the user's recognizer tables and the administrative SQL functions.
#include "connection.hpp"

#include <fmt/format.h>

#include "anonkit/error.hpp"
#include "registry.hpp"
#include "written_calls.hpp"

namespace anonkit::sqlite {
namespace {

bool table_exists(sqlite3* db, const char* table) {
  sqlite3_stmt* raw = nullptr;
  // sqlite_master of main and temp: the tables a policy would be stored in.
  const char* sql =
      "SELECT 1 FROM sqlite_master WHERE name = ?1 AND type IN ('table','view') "
      "UNION ALL SELECT 1 FROM sqlite_temp_master WHERE name = ?1 AND type IN ('table','view')";
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK)
    throw Error(fmt::format("anonkit: could not look for table {}: {}", table, sqlite3_errmsg(db)));
  Stmt stmt(raw);
  sqlite3_bind_text(raw, 1, table, -1, SQLITE_STATIC);
  const int rc = sqlite3_step(raw);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    throw Error(fmt::format("anonkit: could not look for table {}: {}", table, sqlite3_errmsg(db)));
  return rc == SQLITE_ROW;
}

// Reads (type, value) pairs from one user table; NULLs and BLOBs are errors naming the row.
template <typename Row>
std::vector<Row> read_pairs(sqlite3* db, const char* table, const char* value_column) {
  std::vector<Row> rows;
  if (!table_exists(db, table)) return rows;
  const std::string sql =
      fmt::format("SELECT rowid, type, {} FROM {} ORDER BY rowid", value_column, table);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr) != SQLITE_OK)
    throw ConfigError(fmt::format("anonkit: table {} must have columns (type TEXT, {} TEXT): {}",
                                  table, value_column, sqlite3_errmsg(db)));
  Stmt stmt(raw);
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    if (sqlite3_column_type(raw, 1) != SQLITE_TEXT || sqlite3_column_type(raw, 2) != SQLITE_TEXT)
      throw ConfigError(fmt::format("anonkit: {} row {} must have TEXT type and {}, not NULL",
                                    table, sqlite3_column_int64(raw, 0), value_column));
    auto text = [&](int i) {
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(raw, i)),
                         static_cast<std::size_t>(sqlite3_column_bytes(raw, i)));
    };
    rows.push_back(Row{text(1), text(2)});
  }
  if (rc != SQLITE_DONE)
    throw Error(fmt::format("anonkit: could not read {}: {}", table, sqlite3_errmsg(db)));
  return rows;
}

void reload_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  guarded(ctx, [&] {
    require_written_call(ctx, "anonkit_reload", argc, argv);
    ConnectionState& state = state_of(ctx);
    reload_user_recognizers(sqlite3_context_db_handle(ctx), state);
    result_text(ctx, fmt::format(R"({{"patterns":{},"keywords":{}}})", state.user_patterns,
                                 state.user_keywords));
  });
}

void version_fn(sqlite3_context* ctx, int, sqlite3_value**) {
  guarded(ctx, [&] { result_text(ctx, ANONKIT_VERSION); });
}

constexpr FunctionDef kFunctions[] = {
    {"anonkit_reload", 0, kDirectOnly, reload_fn},
    {"anonkit_version", 0, kPure, version_fn},
};

}  // namespace

void reload_user_recognizers(sqlite3* db, ConnectionState& state) {
  const auto patterns = read_pairs<detect::UserPattern>(db, "anonkit_patterns", "pattern");
  const auto keywords = read_pairs<detect::UserKeyword>(db, "anonkit_keywords", "keyword");
  if (patterns.empty() && keywords.empty()) {
    state.scanner = detect::Scanner::builtin();
  } else {
    state.scanner = std::make_shared<const detect::Scanner>(patterns, keywords);
  }
  state.user_patterns = patterns.size();
  state.user_keywords = keywords.size();
}

int register_admin_functions(sqlite3* db, const StatePtr& state) {
  return register_functions(db, state, kFunctions);
}

}  // namespace anonkit::sqlite
