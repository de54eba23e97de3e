// Data subjects in PostgreSQL: the graph read from pg_catalog foreign keys and anonkit.links, the
// Retriever (access: everything about one subject, one consistent snapshot, one JSON document)
// and the plan shown by `anonkit-worker plan`.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "anonkit/pseudo/keyring.hpp"
#include "anonkit/subject/graph.hpp"
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

struct SubjectModel {
  subject::Graph graph;
  std::map<std::string, SubjectKind> kinds;  // by subject name
  std::set<std::string> subject_tables;      // display names of every subject kind's table
  std::map<std::string, TableInfo> tables;   // every table the graph mentions, by display name
};

// Reads anonkit.subjects, the foreign keys of every user schema and anonkit.links. Throws
// InvalidArgument naming a subject or link that does not resolve.
[[nodiscard]] SubjectModel load_subject_model(db::Connection& conn);

// The plan for one subject kind (throws InvalidArgument for an unknown kind or an unbreakable
// cycle).
[[nodiscard]] subject::Plan plan_for(const SubjectModel& model, const std::string& kind);

struct AccessResult {
  std::string document;                        // the JSON export
  std::map<std::string, std::int64_t> counts;  // rows per table
};

// Every row of the subject `kind` with key `key`, read in one REPEATABLE READ READ ONLY
// transaction with row security off (a policy hiding rows is an error, not a silent gap).
// Throws SubjectNotFound when no root row has that key.
[[nodiscard]] AccessResult access_subject(db::Connection& conn, const std::string& kind,
                                          const std::string& key);

// Rows are tracked by (tableoid, ctid): stable inside one snapshot or under row locks, unique
// across partitions, found by a TID scan.
using RowId = std::pair<std::string, std::string>;
using RowSet = std::set<RowId>;
using RowSets = std::map<std::string, RowSet>;  // by table display name

// The rows of subject `kind` with `key`, by table (empty: no such root row). `lock`: FOR UPDATE
// on every row found. Throws SubjectNotFound for a key that cannot be of the key column's type.
[[nodiscard]] RowSets find_subject_rows(db::Connection& conn, db::Transaction& tx,
                                        const SubjectModel& model, const subject::Plan& plan,
                                        const std::string& kind, const std::string& key, bool lock);
// `$first, $first+1` bound by row_params(): "alias's row is one of these".
[[nodiscard]] std::string rows_condition(const std::string& alias, std::size_t first_param);
[[nodiscard]] db::Params row_params(const RowSet& rows);
[[nodiscard]] std::string column_list(db::Connection& conn, const std::string& alias,
                                      const std::vector<std::string>& columns);

// The key as stored in audit and tombstones: HMAC-SHA-256 under the key file when there is one,
// else SHA-256 (guessable for small key spaces: docs/dsar.md).
[[nodiscard]] std::string hash_subject_key(const std::string& kind, const std::string& key,
                                           const pseudo::Keyring* keyring);

}  // namespace anonkit::pg
