// Argument readers for the SQL functions: one place decides what each SQLite type means.
#include "bridge.hpp"

#include <fmt/format.h>

#include "anonkit/error.hpp"

namespace anonkit::sqlite {
namespace {

const char* type_name(int t) {
  switch (t) {
    case SQLITE_INTEGER:
      return "an INTEGER";
    case SQLITE_FLOAT:
      return "a REAL";
    case SQLITE_TEXT:
      return "TEXT";
    case SQLITE_BLOB:
      return "a BLOB";
    default:
      return "NULL";
  }
}

}  // namespace

std::optional<std::string_view> text_arg(sqlite3_value* v, const char* function, const char* name) {
  const int type = sqlite3_value_type(v);
  if (type == SQLITE_NULL) return std::nullopt;
  if (type == SQLITE_BLOB)
    throw InvalidArgument(
        fmt::format("anonkit: {}() expects {} as TEXT, got a BLOB; if it holds UTF-8 text, pass "
                    "CAST({} AS TEXT)",
                    function, name, name));
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  if (p == nullptr) throw std::bad_alloc();
  return std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v)));
}

std::string_view param_text(sqlite3_value* v, const char* function, const char* name) {
  const int type = sqlite3_value_type(v);
  if (type != SQLITE_TEXT)
    throw InvalidArgument(
        fmt::format("anonkit: {}() expects {} as TEXT, got {}", function, name, type_name(type)));
  return *text_arg(v, function, name);
}

std::int64_t param_int(sqlite3_value* v, const char* function, const char* name) {
  const int type = sqlite3_value_type(v);
  if (type != SQLITE_INTEGER)
    throw InvalidArgument(fmt::format("anonkit: {}() expects {} as an INTEGER, got {}", function,
                                      name, type_name(type)));
  return sqlite3_value_int64(v);
}

char* sqlite_strdup(const char* message) noexcept { return sqlite3_mprintf("%s", message); }

}  // namespace anonkit::sqlite
