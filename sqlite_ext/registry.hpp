// The function table: each family lists its SQL functions here with flags chosen on purpose, and
// one routine registers them, checking every return code.
#pragma once

#include <span>

#include "connection.hpp"

namespace anonkit::sqlite {

using ScalarFn = void (*)(sqlite3_context*, int, sqlite3_value**);

struct FunctionDef {
  const char* name;
  int nargs;  // -1: any number (the function checks)
  int flags;  // SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS / SQLITE_DIRECTONLY ...
  ScalarFn fn;
};

inline constexpr int kPure = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
// Safe anywhere, but the result depends on the connection's recognizers (anonkit_reload).
inline constexpr int kScannerDependent = SQLITE_UTF8 | SQLITE_INNOCUOUS;
inline constexpr int kDirectOnly = SQLITE_UTF8 | SQLITE_DIRECTONLY;

// Each registration owns a copy of the state pointer, freed by SQLite when the function goes.
int register_functions(sqlite3* db, const StatePtr& state, std::span<const FunctionDef> defs);

inline ConnectionState& state_of(sqlite3_context* ctx) {
  return **static_cast<StatePtr*>(sqlite3_user_data(ctx));
}

}  // namespace anonkit::sqlite
