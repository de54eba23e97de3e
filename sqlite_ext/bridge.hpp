// The bridge between SQLite's C API and anonkit's C++ core: argument readers that turn a wrong type
// into an "anonkit:" error, result writers, and the wrapper that keeps every exception on this side
// of the C boundary. Included by every extension source except the entry file's INIT1 macro.
#pragma once

#include <sqlite3ext.h>

#include <cstdint>
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

}  // namespace anonkit::sqlite
