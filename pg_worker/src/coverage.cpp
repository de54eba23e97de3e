// Coverage sources and `decide`. Every source counts only where it takes effect: an enabled
// anonymize rule whose mask validates, an erasure policy's mask on a table some valid subject
// plan reaches (elsewhere the Destroyer never applies it), a subject's reached tables that are
// deleted with the person (a kept table's columns are decided only by its mask).
#include "coverage.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "anonkit/policy/column_mask.hpp"
#include "catalog.hpp"
#include "install.hpp"
#include "masked_update.hpp"
#include "subjects.hpp"

namespace anonkit::pg {
namespace {

std::string strip(std::string_view message) {
  if (message.rfind("anonkit: ", 0) == 0) message.remove_prefix(9);
  return std::string(message);
}

// The display name of the partitioned table `oid` belongs to (itself when it is no partition).
std::string root_display(db::Connection& conn, const std::string& oid) {
  return conn
      .exec(
          "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON "
          "n.oid = c.relnamespace WHERE c.oid = coalesce(pg_partition_root($1::oid), $1::oid)",
          {oid})
      .scalar();
}

std::vector<std::string> mask_columns(const std::string& mask_json) {
  std::vector<std::string> out;
  const auto mask = nlohmann::json::parse(mask_json);
  for (const auto& [column, _] : mask.items()) out.push_back(column);
  return out;
}

}  // namespace

std::set<std::string> Coverage::reasons(const std::string& table, const std::string& column) const {
  std::set<std::string> out;
  if (const auto t = tables.find(table); t != tables.end()) out = t->second;
  if (const auto t = columns.find(table); t != columns.end())
    if (const auto c = t->second.find(column); c != t->second.end())
      out.insert(c->second.begin(), c->second.end());
  return out;
}

Coverage load_coverage(db::Connection& conn) {
  Coverage cov;
  cov.installed =
      conn.exec("SELECT to_regclass('anonkit.schema_version') IS NOT NULL").scalar() == "t";
  if (!cov.installed) {
    cov.notes.emplace_back(
        "schema anonkit is not installed: no rule, policy, subject or decision decides any "
        "column");
    return cov;
  }
  require_schema(conn);

  for (const auto& r : conn.exec("SELECT name, table_name, mask::text FROM "
                                 "anonkit.retention_rules WHERE enabled AND action = 'anonymize' "
                                 "ORDER BY name")
                           .rows) {
    try {
      const TableInfo t = describe_table(conn, *r[1]);
      (void)parse_masks(t, r[2].value_or("{}"), true, false);
      const std::string root = root_display(conn, t.oid);
      for (const auto& c : mask_columns(*r[2]))
        cov.columns[root][c].insert("retention rule " + *r[0]);
    } catch (const InvalidArgument& e) {
      cov.notes.push_back(
          fmt::format("retention rule {} decides nothing: {}", *r[0], strip(e.what())));
    }
  }

  const SubjectModel model = load_subject_model(conn);
  for (const auto& p : model.problems)
    cov.notes.push_back(fmt::format("{} decides nothing: {}", p.what, strip(p.message)));
  std::set<std::string> reached;
  for (const auto& [kind, _] : model.kinds) {
    subject::Plan plan;
    try {
      plan = plan_for(model, kind);
    } catch (const InvalidArgument& e) {
      cov.notes.push_back(fmt::format("subject '{}' decides nothing: {}", kind, strip(e.what())));
      continue;
    }
    for (const auto& tp : plan.tables) {
      reached.insert(tp.table);
      if (!tp.kept) cov.tables[tp.table].insert("subject " + kind);
    }
  }
  for (const auto& [table, mask] : model.policy_masks) {
    if (!reached.count(table)) {
      cov.notes.push_back(fmt::format(
          "erasure policy for {} decides nothing: no subject reaches the table", table));
      continue;
    }
    for (const auto& c : mask_columns(mask)) cov.columns[table][c].insert("erasure policy");
  }
  return cov;
}

std::vector<Decision> read_decisions(db::Transaction& tx) {
  std::vector<Decision> out;
  if (tx.exec("SELECT to_regclass('anonkit.column_decisions') IS NOT NULL").scalar() != "t")
    return out;
  for (const auto& r :
       tx.exec("SELECT table_name, column_name, decision, strategy, reason, decided_at::text, "
               "decided_by, column_attnum::text, column_type FROM anonkit.column_decisions "
               "ORDER BY table_name, column_name")
           .rows)
    out.push_back({*r[0], *r[1], *r[2], r[3], *r[4], *r[5], *r[6], std::stoi(*r[7]), *r[8]});
  return out;
}

std::string stale_reason(const Decision& d, int attnum, const std::string& type) {
  if (d.attnum != attnum)
    return fmt::format("the column was dropped and added again since the decision of {}",
                       d.decided_at);
  if (d.type != type)
    return fmt::format("the column's type changed from {} to {} since the decision of {}", d.type,
                       type, d.decided_at);
  if (d.decision == "mask") {
    try {
      (void)policy::ColumnMask::parse(d.strategy.value_or(""));
    } catch (const InvalidArgument& e) {
      return fmt::format("its strategy is not valid: {}", strip(e.what()));
    }
  }
  return "";
}

Decision record_decision(db::Connection& conn, const DecideRequest& req) {
  if (req.decision != "keep" && req.decision != "mask" && req.decision != "drop")
    throw InvalidArgument(
        fmt::format("anonkit: decision '{}': expected keep, mask or drop", req.decision));
  if (req.decision == "mask" && !req.strategy)
    throw InvalidArgument(
        "anonkit: a mask decision needs --strategy (the mask strategy, e.g. phone or text)");
  if (req.decision != "mask" && req.strategy)
    throw InvalidArgument("anonkit: --strategy goes with a mask decision only");
  if (req.reason.find_first_not_of(" \t\r\n") == std::string::npos)
    throw InvalidArgument("anonkit: a decision needs --reason: why it is right for this column");

  db::Rows t;
  try {
    t = conn.exec(
        "SELECT c.oid::text, n.nspname || '.' || c.relname, c.relkind::text FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.oid = coalesce(pg_partition_root(to_regclass($1)), to_regclass($1))",
        {req.table});
  } catch (const db::SqlError& e) {
    throw InvalidArgument(
        fmt::format("anonkit: table '{}' is not a valid table name: {}", req.table, e.what()));
  }
  if (t.empty())
    throw InvalidArgument(fmt::format("anonkit: table '{}' does not exist", req.table));
  const std::string oid = *t.rows[0][0], display = *t.rows[0][1];
  if (std::string("rpmv").find(*t.rows[0][2]) == std::string::npos)
    throw InvalidArgument(
        fmt::format("anonkit: '{}' is not a table, view or materialized view (relkind {})",
                    req.table, *t.rows[0][2]));
  const auto col = conn.exec(
      "SELECT a.attnum::text, format_type(a.atttypid, a.atttypmod), bt.typcategory::text, "
      "format_type(bt.oid, NULL), a.attnotnull::text "
      "FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid "
      "JOIN pg_type bt ON bt.oid = CASE WHEN ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END "
      "WHERE a.attrelid = $1::oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped",
      {oid, req.column});
  if (col.empty())
    throw InvalidArgument(
        fmt::format("anonkit: column '{}' does not exist in table {}", req.column, display));
  const auto& c = col.rows[0];
  if (req.strategy) {
    const auto mask = policy::ColumnMask::parse(*req.strategy);
    mask.check_column(req.column, *c[1], column_kind(*c[2], *c[3]), *c[4] == "true");
  }
  const auto r = conn.exec(
      "INSERT INTO anonkit.column_decisions AS d (table_name, column_name, decision, strategy, "
      "reason, column_attnum, column_type) VALUES ($1, $2, $3, $4, $5, CAST($6 AS smallint), $7) "
      "ON CONFLICT (table_name, column_name) DO UPDATE SET decision = EXCLUDED.decision, "
      "strategy = EXCLUDED.strategy, reason = EXCLUDED.reason, "
      "column_attnum = EXCLUDED.column_attnum, column_type = EXCLUDED.column_type, "
      "decided_at = now(), decided_by = current_user "
      "RETURNING decided_at::text, decided_by",
      {display, req.column, req.decision, req.strategy, req.reason, *c[0], *c[1]});
  return {display,    req.column,    req.decision,     req.strategy, req.reason,
          r.scalar(), *r.rows[0][1], std::stoi(*c[0]), *c[1]};
}

}  // namespace anonkit::pg
