// The retention engine: every enabled rule of anonkit.retention_rules applied once, each rule
// validated before any row is touched, under a per-rule lease (lease.hpp), in short keyset batches.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "anonkit/pseudo/keyring.hpp"
#include "db/connection.hpp"
#include "verification.hpp"

namespace anonkit::pg {

struct RetentionOptions {
  bool dry_run = false;
  std::optional<std::int64_t> batch;  // fixed rows per batch; default adapts to target_batch
  std::optional<std::string> rule;    // only this rule
  std::optional<std::string> as_of;   // compute cutoffs as of this (past) time, not now()
  std::chrono::milliseconds target_batch{250};
  std::chrono::milliseconds lock_timeout{2000};
  std::chrono::milliseconds statement_timeout{30000};
  // A rule's lease lasts this long without renewal (renewed between batches): how long a worker
  // that vanished without a trace on another machine keeps a rule from the others.
  std::chrono::seconds lease_ttl{90};
  std::shared_ptr<const pseudo::Keyring> keyring;  // for pseudonym/fpe masks
  const std::atomic<bool>* stop = nullptr;         // set by a signal: finish the batch, then stop
  bool progress = true;                            // progress on stderr
  bool require_keys = true;                        // false: counting only (status)
  // Re-scan the masked columns of every row an anonymize rule wrote, as the server holds them,
  // in the batch's own transaction: a PII type still found makes the rule verify_failed.
  bool verify = false;
};

struct RuleOutcome {
  std::string rule;
  std::string action;
  std::string status;  // done | failed | skipped | stopped | verify_failed
  std::string table;
  std::string cutoff;     // in the time column's type
  std::int64_t rows = 0;  // deleted or anonymized (dry run: would be)
  std::int64_t batches = 0;
  std::int64_t partitions_dropped = 0;
  std::vector<std::string> partitions;  // dropped (dry run: would be dropped)
  double longest_batch_ms = 0;
  double seconds = 0;
  std::optional<std::string> oldest, newest;  // dry run
  std::string error;
  std::vector<std::string> notes;       // cascades and DELETE triggers the rule's deletes set off
  std::vector<std::string> strategies;  // per leaf: how it was deleted, and why
  // With --verify, for anonymize rules: per masked column, rows written and the PII types still
  // found in them (counts only).
  std::optional<std::vector<ColumnVerification>> verification;
};

// Applies the enabled rules (or `options.rule`). A failing rule is reported in its outcome and
// does not stop the others. Throws only when the rules cannot be read at all.
[[nodiscard]] std::vector<RuleOutcome> run_retention(const std::string& dsn,
                                                     const RetentionOptions& options);

// Rows of rule `name` past its cutoff right now that a run would still change (for anonymize: the
// dry run's count; keyed cells count as to do without a keyring). Throws InvalidArgument when the
// rule does not validate.
[[nodiscard]] std::int64_t retention_backlog(
    db::Connection& conn, const std::string& name,
    std::shared_ptr<const pseudo::Keyring> keyring = nullptr);

}  // namespace anonkit::pg
