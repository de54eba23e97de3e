// What the worker needs to know about a table, read from pg_catalog: its quoted name, columns and
// their type families, primary key, indexes' leading columns and range partitions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "anonkit/policy/column_mask.hpp"
#include "db/connection.hpp"

namespace anonkit::pg {

struct ColumnInfo {
  std::string name;
  std::string type;  // format_type(): "timestamp with time zone", "character varying(80)"
  policy::ColumnKind kind = policy::ColumnKind::kOther;
  bool with_time_zone = false;
  bool not_null = false;
};

struct PartitionInfo {
  std::string oid;
  std::string qualified;  // quoted schema.name
  std::string display;
  std::string bound;  // pg_get_expr(relpartbound): FOR VALUES FROM (...) TO (...)
  bool leaf = true;   // false: itself partitioned
};

struct TableInfo {
  std::string oid;
  std::string qualified;  // "schema"."name", quoted for SQL
  std::string display;    // schema.name, for messages
  bool partitioned = false;
  std::string partition_strategy;              // "r" range, "l" list, "h" hash
  std::vector<std::string> partition_columns;  // empty when a key is an expression
  std::vector<ColumnInfo> columns;
  std::vector<std::string> primary_key;
  std::vector<std::vector<std::string>> index_columns;  // each index's columns, in order
  std::vector<PartitionInfo> partitions;

  [[nodiscard]] const ColumnInfo* column(std::string_view name) const noexcept;
  // True when some index has `names` as its leading columns (in any order among themselves).
  [[nodiscard]] bool has_index_on(const std::vector<std::string>& names) const;
};

// Resolves `name` as PostgreSQL would (schema-qualified, or via search_path; quoted parts keep
// their case) and describes it. Throws InvalidArgument when it is not an existing table.
[[nodiscard]] TableInfo describe_table(db::Connection& conn, const std::string& name);

// What deleting a row of a table does elsewhere: foreign keys from other tables whose ON DELETE
// removes or changes their rows (CASCADE, SET NULL, SET DEFAULT), and enabled user triggers that
// fire on DELETE (a history table that copies what is deleted keeps it). For a partitioned table,
// those of the table and of its partitions, each once.
struct DeleteEffects {
  struct Cascade {
    std::string constraint, child, action;  // action: "CASCADE", "SET NULL" or "SET DEFAULT"
  };
  struct Trigger {
    std::string name, table;
  };
  std::vector<Cascade> cascades;
  std::vector<Trigger> triggers;
};
[[nodiscard]] DeleteEffects delete_effects(db::Connection& conn, const TableInfo& table);

// The family of a column's type from pg_type's typcategory and format_type() of its base type
// (a domain's base type): what the mask strategies check a column against.
[[nodiscard]] policy::ColumnKind column_kind(const std::string& category,
                                             const std::string& base_type);

// Splits the chr(1)-joined names that the catalog queries return (array_to_string(..., chr(1)):
// a separator no identifier contains in practice, unlike ',' or a space).
[[nodiscard]] std::vector<std::string> split_names(const std::string& joined);

// The upper bound of a range partition over one column, as text in that column's type; nullopt
// for MAXVALUE, a DEFAULT partition or anything else.
[[nodiscard]] std::optional<std::string> range_upper_bound(const std::string& bound);

}  // namespace anonkit::pg
