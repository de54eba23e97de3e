// `anonkit-worker inventory`: every column of every table sampled (TABLESAMPLE, a row cap) in one
// REPEATABLE READ READ ONLY transaction, its values run through the inventory core (types with
// shares, shape, suggested strategy), its key and references, and whether a decision covers it
// (coverage.hpp); as an aligned table, JSON or a Markdown page. Shapes and counts only: no value.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "anonkit/inventory/column_profile.hpp"
#include "anonkit/policy/column_mask.hpp"
#include "db/connection.hpp"

namespace anonkit::pg {

struct InventoryOptions {
  std::vector<std::string> schemas;          // empty: all but the system schemas and anonkit
  std::int64_t rows = 1000;                  // row cap per table
  std::chrono::milliseconds timeout{60000};  // statement_timeout of each statement
  bool views = false;                        // also sample plain views (first rows)
  bool progress = false;                     // one line per table on stderr
};

// Characters of each value read (and scanned): bounds what one row costs.
inline constexpr std::int64_t kInventoryValueChars = 8192;

struct InventoryColumn {
  std::string name, type;  // type: format_type()
  int attnum = 0;
  policy::ColumnKind kind = policy::ColumnKind::kOther;
  bool not_null = false;
  bool primary_key = false, unique = false;  // unique: a UNIQUE index on this column alone
  std::vector<std::string> references;       // "public.customers.id"
  inventory::ColumnReport report;
  std::string suggestion;            // the core's, fitted to the column's type ("" when none fits)
  std::set<std::string> decided_by;  // "retention rule r", "subject s", "decision keep", ...
  std::string stale;                 // why a recorded decision no longer counts

  [[nodiscard]] bool undecided() const { return report.has_pii() && decided_by.empty(); }
  [[nodiscard]] std::string key_text() const;  // "PK", "UNIQUE", "FK public.c.id", "" ...
};

struct InventoryTable {
  std::string oid, schema, name, display;  // display: schema.name
  std::string kind;  // "table", "partitioned table", "materialized view", "view"
  std::int64_t partitions = 0;
  bool statistics = false;  // row estimate from ANALYZE (else probed or none)
  std::optional<double> estimated_rows;
  std::string method;  // how it was sampled, e.g. "TABLESAMPLE SYSTEM (1.5%)"
  std::int64_t sampled = 0;
  double seconds = 0;
  std::string error;  // not sampled: why (scrubbed of values)
  std::vector<InventoryColumn> columns;
};

struct Inventory {
  std::string database, generated_at, isolation, statement_timeout;
  bool read_only = false;
  InventoryOptions options;
  bool coverage_installed = false;
  std::vector<std::string> notes;
  std::vector<InventoryTable> tables;

  // "schema.table.column (TYPE, TYPE)" for every undecided PII column, and "schema.table (not
  // sampled)" for a table that could not be read: what --check fails on.
  [[nodiscard]] std::vector<std::string> undecided() const;
};

[[nodiscard]] Inventory take_inventory(db::Connection& conn, const InventoryOptions& options);

[[nodiscard]] std::string inventory_text(const Inventory& inv);
[[nodiscard]] std::string inventory_json(const Inventory& inv);
[[nodiscard]] std::string inventory_markdown(const Inventory& inv);

}  // namespace anonkit::pg
