// The bridge between SQLite's C API and anonkit's C++ core: argument readers that turn a wrong type
// into an "anonkit:" error, result writers, and the wrapper that keeps every exception on this side
// of the C boundary. Included by every extension source except the entry file's INIT1 macro.
#pragma once

#include <sqlite3ext.h>

#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>

SQLITE_EXTENSION_INIT3

namespace anonkit::sqlite {

// A function's argument as text. NULL gives nullopt; numbers are read as their text form; a BLOB is
// an error (it may hold anything, and guessing an encoding could leak or mangle it).
std::optional<std::string_view> text_arg(sqlite3_value* v, const char* function, const char* name);
// A required text parameter (not the data itself): NULL is an error too.
std::string_view param_text(sqlite3_value* v, const char* function, const char* name);
// A required integer parameter.
std::int64_t param_int(sqlite3_value* v, const char* function, const char* name);

inline void result_text(sqlite3_context* ctx, std::string_view s) {
  sqlite3_result_text64(ctx, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

// Runs `body`, turning any exception into a SQL error on `ctx`. Nothing unwinds into SQLite.
template <typename Body>
void guarded(sqlite3_context* ctx, Body&& body) noexcept {
  try {
    body();
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  } catch (const std::exception& e) {
    sqlite3_result_error(ctx, e.what(), -1);
  } catch (...) {
    sqlite3_result_error(ctx, "anonkit: internal error (unknown exception)", -1);
  }
}

// Copies an error message into memory SQLite owns (for zErrMsg fields).
char* sqlite_strdup(const char* message) noexcept;

// The same for virtual-table methods: the message goes to the table's zErrMsg.
template <typename Body>
int vtab_guarded(sqlite3_vtab* vtab, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  } catch (const std::exception& e) {
    sqlite3_free(vtab->zErrMsg);
    vtab->zErrMsg = sqlite_strdup(e.what());
    return SQLITE_ERROR;
  } catch (...) {
    sqlite3_free(vtab->zErrMsg);
    vtab->zErrMsg = sqlite_strdup("anonkit: internal error");
    return SQLITE_ERROR;
  }
}

// xOpen and xClose of a virtual table whose cursor type is Cursor (a struct deriving from
// sqlite3_vtab_cursor, default-constructible).
template <typename Cursor>
int open_cursor(sqlite3_vtab*, sqlite3_vtab_cursor** out) noexcept {
  auto* cursor = new (std::nothrow) Cursor{};
  if (cursor == nullptr) return SQLITE_NOMEM;
  *out = cursor;
  return SQLITE_OK;
}
template <typename Cursor>
int close_cursor(sqlite3_vtab_cursor* cur) noexcept {
  delete static_cast<Cursor*>(cur);
  return SQLITE_OK;
}

// A prepared statement that is finalized when it goes out of scope.
struct StmtCloser {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtCloser>;

}  // namespace anonkit::sqlite
