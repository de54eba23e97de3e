// The schema migrations, compiled in from sql/pg/NNN_*.sql by pg_worker/CMakeLists.txt.
#pragma once

#include <span>
#include <string_view>

namespace anonkit::pg {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

[[nodiscard]] std::span<const Migration> migrations() noexcept;

}  // namespace anonkit::pg
