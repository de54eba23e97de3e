// The Destroyer: one data subject erased in one transaction: rows deleted children first, rows
// under a keep policy masked and detached, other subjects' references to them set to NULL,
// verified, then a receipt (counts, key hashed) and a tombstone. All of it or none of it.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "anonkit/pseudo/keyring.hpp"
#include "db/connection.hpp"

namespace anonkit::pg {

struct EraseOptions {
  bool dry_run = false;
  std::shared_ptr<const pseudo::Keyring> keyring;  // keyed masks; HMAC of the key in receipts
  std::optional<std::int64_t> request_id;
};

struct EraseResult {
  bool already_erased = false;  // no such subject now, but a tombstone says it was erased
  // table -> action (deleted, masked, detached, nulled) -> rows
  std::map<std::string, std::map<std::string, std::int64_t>> counts;
  std::string receipt;  // JSON, also stored in anonkit.audit
};

// Throws SubjectNotFound (no such subject and no tombstone), InvalidArgument (configuration:
// unknown subject, a policy mask that does not fit, a NOT NULL column that would have to be
// detached), or db errors. Serialization failures and deadlocks are retried.
[[nodiscard]] EraseResult erase_subject(db::Connection& conn, const std::string& kind,
                                        const std::string& key, const EraseOptions& options);

// Re-erases every subject of `kind` whose tombstone matches a row present now (after a restore).
// Returns the number of subjects erased again.
[[nodiscard]] std::int64_t replay_erasures(db::Connection& conn, const std::string& kind,
                                           const EraseOptions& options);

}  // namespace anonkit::pg
