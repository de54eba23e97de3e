// `status` (last run of each rule, its backlog) and `doctor` (what would make retention or the
// Retriever slow or unsafe), as text or JSON.
#pragma once

#include <memory>
#include <string>

#include "anonkit/pseudo/keyring.hpp"
#include "db/connection.hpp"

namespace anonkit::pg {

// Both return the document to print; `problems` counts doctor's warnings.
// With a keyring, an anonymize rule's backlog with keyed masks is exact; without, an upper bound.
[[nodiscard]] std::string status_report(db::Connection& conn, bool json,
                                        std::shared_ptr<const pseudo::Keyring> keyring = nullptr);
[[nodiscard]] std::string doctor_report(db::Connection& conn, bool json, int& problems);

}  // namespace anonkit::pg
