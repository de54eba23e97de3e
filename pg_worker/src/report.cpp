// status and doctor: read-only views over anonkit's tables and the catalog.
#include "report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "anonkit/policy/column_mask.hpp"
#include "anonkit/policy/sql_condition.hpp"
#include "catalog.hpp"
#include "retention.hpp"
#include "subjects.hpp"

namespace anonkit::pg {
namespace {

nlohmann::json value(const db::Value& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

}  // namespace

std::string status_report(db::Connection& conn, bool json,
                          std::shared_ptr<const pseudo::Keyring> keyring) {
  const auto rules = conn.exec(
      "SELECT r.name, r.table_name, r.time_column, r.keep::text, r.action, r.enabled::text, "
      "l.status, l.started_at::text, l.rows::text, l.error "
      "FROM anonkit.retention_rules r LEFT JOIN LATERAL (SELECT * FROM anonkit.runs u "
      "WHERE u.rule = r.name AND NOT u.dry_run ORDER BY u.started_at DESC LIMIT 1) l ON true "
      "ORDER BY r.name");
  nlohmann::json doc = {{"rules", nlohmann::json::array()}};
  std::string text = fmt::format("{:<24} {:<10} {:<9} {:<8} {:>12} {:<26} {}\n", "rule", "action",
                                 "enabled", "last run", "backlog", "started", "error");
  for (const auto& r : rules.rows) {
    // Backlog: rows past their cutoff right now. A rule that cannot be resolved shows why.
    nlohmann::json backlog;
    std::string backlog_text = "?";
    try {
      const auto n = retention_backlog(conn, *r[0], keyring);
      backlog = n;
      backlog_text = std::to_string(n);
    } catch (const std::exception&) {  // doctor and the run itself say why
    }
    doc["rules"].push_back(
        {{"rule", *r[0]},
         {"table", *r[1]},
         {"action", *r[4]},
         {"enabled", *r[5] == "true"},
         {"last_status", value(r[6])},
         {"last_started_at", value(r[7])},
         {"last_rows", r[8] ? nlohmann::json(std::stoll(*r[8])) : nlohmann::json()},
         {"last_error", value(r[9])},
         {"backlog", backlog}});
    text += fmt::format("{:<24} {:<10} {:<9} {:<8} {:>12} {:<26} {}\n", *r[0], *r[4],
                        *r[5] == "true" ? "enabled" : "disabled", r[6].value_or("never"),
                        backlog_text, r[7].value_or("-"), r[9].value_or(""));
  }
  // The request queue: what is waiting, what failed, what is past its legal deadline.
  const auto q = conn.exec(
      "SELECT count(*) FILTER (WHERE status IN ('pending', 'running')), "
      "count(*) FILTER (WHERE status = 'failed'), "
      "count(*) FILTER (WHERE status IN ('pending', 'running') AND due_at < now()), "
      "min(due_at) FILTER (WHERE status IN ('pending', 'running'))::text FROM anonkit.requests");
  const auto& qr = q.rows[0];
  doc["requests"] = {{"open", std::stoll(*qr[0])},
                     {"failed", std::stoll(*qr[1])},
                     {"overdue", std::stoll(*qr[2])},
                     {"next_due", value(qr[3])}};
  text += fmt::format("\nrequests: {} open, {} failed, {} overdue{}\n", *qr[0], *qr[1], *qr[2],
                      qr[3] ? ", next due " + *qr[3] : "");
  for (const auto& r :
       conn.exec("SELECT id::text, kind, subject, status, due_at::text, "
                 "coalesce(error, '') FROM anonkit.requests WHERE status = 'failed' "
                 "OR (status IN ('pending', 'running') AND due_at < now()) "
                 "ORDER BY due_at LIMIT 20")
           .rows)
    text +=
        fmt::format("  request {} {} {} {} due {} {}\n", *r[0], *r[1], *r[2], *r[3], *r[4], *r[5]);
  return json ? doc.dump(2) + "\n" : text;
}

std::string doctor_report(db::Connection& conn, bool json, int& problems) {
  nlohmann::json items = nlohmann::json::array();
  auto warn = [&](const std::string& subject, const std::string& message) {
    items.push_back({{"subject", subject}, {"warning", message}});
  };
  for (const auto& r :
       conn.exec("SELECT name, table_name, time_column, action, mask::text, filter, "
                 "may_cascade::text FROM anonkit.retention_rules WHERE enabled ORDER BY name")
           .rows) {
    const std::string subject = "rule " + *r[0];
    TableInfo t;
    try {
      t = describe_table(conn, *r[1]);
    } catch (const std::exception& e) {
      warn(subject, e.what());
      continue;
    }
    const ColumnInfo* c = t.column(*r[2]);
    if (c == nullptr) {
      warn(subject, fmt::format("time column '{}' does not exist in {}", *r[2], t.display));
      continue;
    }
    if (!t.has_index_on({c->name}))
      warn(subject, fmt::format("no index leads with time column {} of {}: every batch scans the "
                                "table; CREATE INDEX ON {} ({})",
                                c->name, t.display, t.qualified, conn.quote_name(c->name)));
    if (t.primary_key.empty() && *r[3] == "anonymize")
      warn(subject, fmt::format("{} has no primary key: anonymize needs one to update rows in "
                                "batches",
                                t.display));
    if (t.partitioned && *r[3] == "delete" &&
        (t.partition_strategy != "r" || t.partition_columns != std::vector<std::string>{c->name}))
      warn(subject, fmt::format("{} is partitioned, but not by range on {} alone: partitions "
                                "are never dropped, rows are deleted in batches",
                                t.display, c->name));
    if (*r[3] == "delete") {
      const DeleteEffects effects = delete_effects(conn, t);
      for (const auto& c : effects.cascades)
        warn(subject,
             fmt::format("deleting rows of {} changes rows of {} (constraint {}, ON DELETE {})"
                         "{}",
                         t.display, c.child, c.constraint, c.action,
                         *r[6] == "true" ? " (may_cascade is set)"
                                         : ": the rule fails until may_cascade is set or the "
                                           "child gets its own rule"));
      for (const auto& tr : effects.triggers)
        warn(subject, fmt::format("DELETE trigger {} on {} runs for every row the rule deletes: "
                                  "if it copies rows to a history table, they are kept there",
                                  tr.name, tr.table));
    }
    if (t.partitioned && r[5])
      warn(subject,
           "the rule has a filter: partitions are never dropped whole, rows are deleted "
           "in batches");
    if (r[5]) {
      try {
        policy::check_sql_condition(*r[5]);
      } catch (const std::exception& e) {
        warn(subject, e.what());
      }
    }
  }
  // A partition left half-detached (DETACH ... CONCURRENTLY interrupted) still holds its rows.
  for (const auto& r : conn.exec("SELECT i.inhrelid::regclass::text, i.inhparent::regclass::text "
                                 "FROM pg_inherits i WHERE i.inhdetachpending")
                           .rows)
    warn("partition " + *r[0],
         fmt::format("detach from {} is pending: finish it with ALTER TABLE {} DETACH PARTITION "
                     "{} FINALIZE, then drop it",
                     *r[1], *r[1], *r[0]));
  // Foreign keys without an index on the referencing columns: the Retriever and the Destroyer
  // look rows up by them, and every delete of a parent scans the child.
  for (const auto& r :
       conn.exec("SELECT c.conrelid::regclass::text, c.conname, "
                 "(SELECT string_agg(a.attname, ', ' ORDER BY k.ord) FROM unnest(c.conkey) WITH "
                 "ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = c.conrelid AND "
                 "a.attnum = k.attnum) "
                 "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                 "JOIN pg_namespace n ON n.oid = t.relnamespace "
                 "WHERE c.contype = 'f' AND c.conparentid = 0 AND n.nspname NOT IN "
                 "('pg_catalog', 'information_schema') AND NOT EXISTS (SELECT 1 FROM pg_index i "
                 "WHERE i.indrelid = c.conrelid AND "
                 "(i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey AND "
                 "(i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey) "
                 "ORDER BY 1, 2")
           .rows)
    warn("table " + *r[0],
         fmt::format("foreign key {} ({}) has no index on its columns", *r[1], r[2].value_or("?")));
  // Subjects, links, owned parents and erasure policies: every broken or risky row, erase
  // blockers, owned-parent candidates.
  for (const auto& f : subject_findings(conn)) warn(f.subject, f.message);
  problems = static_cast<int>(items.size());
  if (json) return nlohmann::json{{"warnings", items}}.dump(2) + "\n";
  if (items.empty()) return "doctor: no problems found\n";
  std::string text;
  for (const auto& i : items)
    text += fmt::format("warning: {}: {}\n", i["subject"].get<std::string>(),
                        i["warning"].get<std::string>());
  return text;
}

}  // namespace anonkit::pg
