// The Destroyer: one data subject erased in one transaction, by the ownership model: the rows the
// subject owns alone deleted children first (or masked and detached where a policy keeps them),
// every kept row's references to deleted rows set to NULL, shared rows never deleted, all of it
// verified before commit, then a receipt (counts, keyed hash) and a tombstone.
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
  std::shared_ptr<const pseudo::Keyring> keyring;  // required: keyed masks and receipts
  std::optional<std::int64_t> request_id;
  // The masked columns of the kept rows are always re-scanned before commit (counts in the
  // receipt's checked.masked_values); with verify, a PII type still found refuses the erase.
  bool verify = false;
};

struct EraseResult {
  bool already_erased = false;  // no such subject now, but a tombstone says it was erased
  // table -> action (deleted, masked, detached, nulled) -> rows
  std::map<std::string, std::map<std::string, std::int64_t>> counts;
  std::string receipt;  // JSON, also stored in anonkit.audit
  std::string key_hash;
};

// Throws KeyError (no key), SubjectNotFound (no such subject and no tombstone), InvalidArgument
// (configuration, or a change that cannot be made: nothing was changed), or db errors.
// Serialization failures and deadlocks are retried.
[[nodiscard]] EraseResult erase_subject(db::Connection& conn, const std::string& kind,
                                        const std::string& key, const EraseOptions& options);

// Re-erases every subject of `kind` whose tombstone matches a row present now (after a restore).
// Returns the number of subjects erased again.
[[nodiscard]] std::int64_t replay_erasures(db::Connection& conn, const std::string& kind,
                                           const EraseOptions& options);

}  // namespace anonkit::pg
