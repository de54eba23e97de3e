// Coverage for the data inventory, deny by default: what decides a column that holds personal
// data (an enabled anonymize rule's mask, an erasure policy's mask where the Destroyer applies it,
// a table that is part of a subject's data, a row of anonkit.column_decisions), and `decide`,
// which records a decision with the fingerprint that makes it stale when the column is re-created.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "db/connection.hpp"

namespace anonkit::pg {

// What decides each column, from anonkit's configuration. Tables by display name (schema.name,
// partitions folded into their partitioned table).
struct Coverage {
  bool installed = false;  // schema anonkit present: without it nothing is decided
  // Reasons that cover every column of a table: "subject customer" (its rows are erased with the
  // person).
  std::map<std::string, std::set<std::string>> tables;
  // Reasons for single columns: "retention rule r1", "erasure policy".
  std::map<std::string, std::map<std::string, std::set<std::string>>> columns;
  std::vector<std::string> notes;  // configuration rows that could not be counted, and why

  [[nodiscard]] std::set<std::string> reasons(const std::string& table,
                                              const std::string& column) const;
};

// Reads rules, policies and the subject graph (statements of their own, before the inventory's
// snapshot). A broken row is left out with a note: it decides nothing.
[[nodiscard]] Coverage load_coverage(db::Connection& conn);

// One row of anonkit.column_decisions.
struct Decision {
  std::string table, column, decision;  // decision: keep | mask | drop
  std::optional<std::string> strategy;
  std::string reason, decided_at, decided_by;
  int attnum = 0;
  std::string type;
};

// The decisions, read inside the inventory's transaction (so they match its catalog snapshot).
[[nodiscard]] std::vector<Decision> read_decisions(db::Transaction& tx);

// Why a recorded decision does not (or no longer) decide the column: "" when it does.
[[nodiscard]] std::string stale_reason(const Decision& d, int attnum, const std::string& type);

struct DecideRequest {
  std::string table, column, decision;
  std::optional<std::string> strategy;
  std::string reason;
};

// Records (or replaces) the decision for TABLE.COLUMN: the table resolved as PostgreSQL would and
// folded into its partitioned root, the column's attnum and type taken from the catalog, a mask
// strategy parsed and checked against the column's type. Throws InvalidArgument.
Decision record_decision(db::Connection& conn, const DecideRequest& request);

}  // namespace anonkit::pg
