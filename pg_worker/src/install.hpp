// Schema installation: versioned migrations from sql/pg/, each applied once, all in one
// transaction under an advisory lock so concurrent installs cannot interleave.
#pragma once

#include <optional>
#include <string>

#include "db/connection.hpp"

namespace anonkit::pg {

struct InstallResult {
  int from_version = 0;
  int to_version = 0;
};

// Brings schema anonkit up to `target` (default: the newest migration). Never downgrades.
InstallResult install_schema(db::Connection& conn, std::optional<int> target = std::nullopt);

// The newest version this worker knows.
[[nodiscard]] int latest_schema_version() noexcept;

// Throws NotInstalled unless schema anonkit is at latest_schema_version().
void require_schema(db::Connection& conn);

class NotInstalled : public Error {
 public:
  using Error::Error;
};

}  // namespace anonkit::pg
