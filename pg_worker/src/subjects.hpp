// Data subjects in PostgreSQL: the subject graph read from pg_catalog (partitioned tables as one
// table), anonkit.links, anonkit.owned_parents and anonkit.erasure_policy; the rows of one
// subject found and classified (ownership.hpp) with SQL; the Retriever; `plan` and the findings
// `doctor` reports.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "anonkit/pseudo/keyring.hpp"
#include "anonkit/subject/graph.hpp"
#include "anonkit/subject/ownership.hpp"
#include "catalog.hpp"
#include "db/connection.hpp"

namespace anonkit::pg {

// No subject with that key (exit code 4).
class SubjectNotFound : public Error {
 public:
  using Error::Error;
};

struct SubjectKind {
  std::string name;
  TableInfo table;
  const ColumnInfo* key = nullptr;
};

// A row of anonkit's configuration that does not resolve, or is unsafe: it fails the commands
// whose plan reaches one of `tables` (or every command of `kind`), and doctor lists it.
struct ConfigProblem {
  std::string what;  // "subject 'x'", "link 3", "owned parent 2", "erasure policy for t"
  std::string message;
  std::string kind;                 // a broken subject kind: fails all its commands
  std::vector<std::string> tables;  // tables it names that exist
};

struct SubjectModel {
  subject::Graph graph;
  std::map<std::string, SubjectKind> kinds;  // by subject name (valid ones)
  std::map<std::string, TableInfo> tables;   // every table the graph mentions, by display name
  std::map<std::string, std::string> policy_masks;  // erasure_policy mask JSON, by table
  std::vector<ConfigProblem> problems;
};

// Reads the configuration and the catalog. Never throws for a broken configuration row: it is
// recorded in `problems` and left out of the graph.
[[nodiscard]] SubjectModel load_subject_model(db::Connection& conn);

// The plan for one subject kind. Throws InvalidArgument for an unknown or broken kind, a broken
// configuration row that touches a table the plan reaches, or an unbreakable cycle.
[[nodiscard]] subject::Plan plan_for(const SubjectModel& model, const std::string& kind);

// `plan` as text or JSON: per table the role, the action, the policy's masks and the reason.
[[nodiscard]] std::string render_plan(const SubjectModel& model, const std::string& kind,
                                      bool json);

// The key as the server reads it (CAST($1 AS type)::text): `01`, ` 1` and `1` are one person.
// Throws SubjectNotFound naming the type, never the value.
[[nodiscard]] std::string canonical_key(db::Connection& conn, const SubjectModel& model,
                                        const std::string& kind, const std::string& key);
// HMAC-SHA-256 of (kind, canonical key) under the key file: "hmac-sha256:<64 hex>".
[[nodiscard]] std::string hash_subject_key(const std::string& kind, const std::string& canonical,
                                           const pseudo::Keyring& keyring);
// The queue's hash of a request key: of the canonical key when it can be cast, else of the text.
[[nodiscard]] std::string request_key_hash(db::Connection& conn, const std::string& kind,
                                           const std::string& key, const pseudo::Keyring& keyring);
// Throws KeyError saying how to get a key.
const pseudo::Keyring& require_keyring(const std::shared_ptr<const pseudo::Keyring>& keyring);

// Rows are tracked by "tableoid/ctid": stable inside one snapshot or under row locks, unique
// across partitions, found by a TID scan.
using RowSet = std::set<std::string>;
using RowSets = std::map<std::string, RowSet>;  // by table display name

struct SubjectRows {
  std::string root;  // the root row's id; empty: no such subject
  subject::Ownership ownership;
};

// Finds the root row by its (canonical) key and classifies every row with an owner path to it.
// `lock`: FOR UPDATE on the root and every candidate row.
[[nodiscard]] SubjectRows find_subject_rows(db::Connection& conn, db::Transaction& tx,
                                            const SubjectModel& model, const subject::Plan& plan,
                                            const std::string& kind, const std::string& canonical,
                                            bool lock);
// `$first, $first+1` bound by row_params(): "alias's row is one of these".
[[nodiscard]] std::string rows_condition(const std::string& alias, std::size_t first_param);
[[nodiscard]] db::Params row_params(const RowSet& rows);
[[nodiscard]] std::string column_list(db::Connection& conn, const std::string& alias,
                                      const std::vector<std::string>& columns);
[[nodiscard]] std::string row_id(const std::string& alias);  // SQL: the row's id as text

struct AccessResult {
  std::string document;  // the JSON export
  std::string key_hash;
  std::map<std::string, std::map<std::string, std::int64_t>> counts;  // table -> owned|shared -> n
};

// Every row of the subject, read in one REPEATABLE READ READ ONLY transaction with row security
// off (a policy hiding rows is an error, not a silent gap); rows shared with someone else are
// listed by primary key. Writes the audit row. Throws SubjectNotFound.
[[nodiscard]] AccessResult access_subject(db::Connection& conn, const std::string& kind,
                                          const std::string& key, const pseudo::Keyring& keyring,
                                          std::optional<std::int64_t> request_id = {});

struct Finding {
  std::string subject, message;
};
// For doctor: every broken or risky configuration row and plan problem.
[[nodiscard]] std::vector<Finding> subject_findings(db::Connection& conn);

}  // namespace anonkit::pg
