// `status` (last run of each rule, its backlog) and `doctor` (what would make retention or the
// Retriever slow or unsafe), as text or JSON.
#pragma once

#include <string>

#include "db/connection.hpp"

namespace anonkit::pg {

// Both return the document to print; `problems` counts doctor's warnings.
[[nodiscard]] std::string status_report(db::Connection& conn, bool json);
[[nodiscard]] std::string doctor_report(db::Connection& conn, bool json, int& problems);

}  // namespace anonkit::pg
