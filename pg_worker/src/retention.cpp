// Retention: load and validate the rules, take each rule's lease, run it (retention/), and record
// what it did in anonkit.runs.
#include "retention.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "anonkit/error.hpp"
#include "anonkit/policy/sql_condition.hpp"
#include "catalog.hpp"
#include "lease.hpp"
#include "masked_update.hpp"
#include "retention/rule_run.hpp"

namespace anonkit::pg {
namespace {

using namespace retention;

std::string worker_id() {
  const auto& me = ProcessIdentity::self();
  return fmt::format("{}:{}", me.host, me.pid);
}

std::string rule_error(const Rule& r, std::string_view what) {
  // Messages from common/ already start with "anonkit: "; say which rule they are about.
  std::string_view w = what;
  if (w.rfind("anonkit: ", 0) == 0) w.remove_prefix(9);
  return fmt::format("anonkit: rule '{}': {}", r.name, w);
}

Plan validate(db::Connection& conn, const Rule& rule, const RetentionOptions& options) {
  Plan p;
  p.rule = rule;
  p.table = describe_table(conn, rule.table_name);
  p.time = p.table.column(rule.time_column);
  if (p.time == nullptr)
    throw InvalidArgument(fmt::format("anonkit: time column '{}' does not exist in table {}",
                                      rule.time_column, p.table.display));
  if (p.time->kind != policy::ColumnKind::kDate && p.time->kind != policy::ColumnKind::kTimestamp)
    throw InvalidArgument(fmt::format(
        "anonkit: time column '{}' of {} is {}: expected timestamptz, timestamp or date",
        rule.time_column, p.table.display, p.time->type));
  for (const auto& name : p.table.primary_key) p.key.push_back(p.table.column(name));

  if (rule.filter) {
    policy::check_sql_condition(*rule.filter);
    p.row_local_filter = policy::sql_condition_is_row_local(*rule.filter);
    p.filter = fmt::format(" AND ({})", *rule.filter);
    try {  // planned, never run: a non-boolean or misspelt filter fails here, before any row
      (void)conn.exec(
          fmt::format("EXPLAIN SELECT 1 FROM {} WHERE true{}", p.table.qualified, p.filter));
    } catch (const db::SqlError& e) {
      throw InvalidArgument(fmt::format("anonkit: filter is not a valid condition on {}: {}",
                                        p.table.display, e.what()));
    }
  }

  if (rule.action == "anonymize") {
    if (p.key.empty())
      throw InvalidArgument(fmt::format(
          "anonkit: table {} has no primary key: anonymize needs one to update rows in batches",
          p.table.display));
    p.masks = parse_masks(p.table, rule.mask.value_or("null"), options.keyring != nullptr,
                          options.require_keys);
    p.order.push_back(p.time);
    p.order.insert(p.order.end(), p.key.begin(), p.key.end());
  } else {
    p.drop_partitions = p.table.partitioned && p.table.partition_strategy == "r" &&
                        p.table.partition_columns == std::vector<std::string>{p.time->name} &&
                        !rule.filter;
    // Deleting here must not take younger rows elsewhere with it unless the rule says so.
    const DeleteEffects effects = delete_effects(conn, p.table);
    std::string cascades;
    for (const auto& c : effects.cascades)
      cascades += fmt::format("{}{} (constraint {}, ON DELETE {})", cascades.empty() ? "" : ", ",
                              c.child, c.constraint, c.action);
    if (!cascades.empty() && !rule.may_cascade)
      throw InvalidArgument(fmt::format(
          "anonkit: deleting rows of {} changes rows of {}, which may be younger than the rule: "
          "give those tables their own rules, or set may_cascade = true on this rule if their "
          "rows may go with their parents",
          p.table.display, cascades));
    if (!cascades.empty()) {
      p.notes.push_back("cascades to " + cascades);
      // PostgreSQL refuses to detach a partition that other rows still reference.
      p.drop_partitions = false;
    }
    for (const auto& t : effects.triggers)
      p.notes.push_back(fmt::format(
          "DELETE trigger {} on {} runs for every deleted row (if it copies rows to a history "
          "table, they are kept there){}",
          t.name, t.table, p.drop_partitions ? "; partitions dropped whole do not fire it" : ""));
  }
  return p;
}

std::vector<Rule> load_rules(db::Connection& conn, const RetentionOptions& options) {
  db::Params params;
  std::string where = "enabled";
  if (options.rule) {
    where = "name = $1";
    params.push_back(*options.rule);
  }
  std::vector<Rule> rules;
  for (const auto& r :
       conn.exec(fmt::format("SELECT id::text, name, table_name, time_column, "
                             "keep::text, action, mask::text, filter, may_cascade::text, "
                             "encode(sha256(convert_to(coalesce(mask::text, '') "
                             "|| chr(10) || coalesce(filter, ''), 'UTF8')), 'hex') "
                             "FROM anonkit.retention_rules WHERE {} ORDER BY name",
                             where),
                 params)
           .rows)
    rules.push_back({*r[0], *r[1], *r[2], *r[3], *r[4], *r[5], r[6], r[7], *r[9], *r[8] == "true"});
  if (options.rule && rules.empty())
    throw InvalidArgument(
        fmt::format("anonkit: there is no retention rule named '{}'", *options.rule));
  return rules;
}

void record(db::Connection& conn, const std::string& run_id, const RuleOutcome& o,
            const std::string& status) {
  db::Value notes;
  for (const auto& n : o.notes) notes = notes ? *notes + "; " + n : n;
  (void)conn.exec(
      "UPDATE anonkit.runs SET status = $2, rows = CAST($3 AS bigint), "
      "batches = CAST($4 AS integer), partitions_dropped = CAST($5 AS integer), "
      "longest_batch_ms = CAST($6 AS double precision), error = $7, notes = $8, "
      "verification = CAST($9 AS jsonb), "
      "finished_at = CASE WHEN $2 = 'running' THEN NULL ELSE clock_timestamp() END WHERE id = "
      "CAST($1 AS bigint)",
      {run_id, status, std::to_string(o.rows), std::to_string(o.batches),
       std::to_string(o.partitions_dropped), fmt::format("{}", o.longest_batch_ms),
       o.error.empty() ? db::Value{} : db::Value{o.error}, notes,
       o.verification ? db::Value{verification_json(*o.verification).dump()} : db::Value{}});
}

// One rule, start to end, on `conn`. Fills `out`; throws only when the connection is lost.
void run_rule(db::Connection& conn, const Rule& rule, const RetentionOptions& options,
              RuleOutcome& out) {
  const auto t0 = Clock::now();
  out.rule = rule.name;
  out.action = rule.action;
  out.table = rule.table_name;
  const auto run_id =
      conn.exec(
              "INSERT INTO anonkit.runs (rule, action, dry_run, worker) VALUES ($1, $2, "
              "CAST($3 AS boolean), $4) RETURNING id::text",
              {rule.name, rule.action, options.dry_run ? "true" : "false", worker_id()})
          .scalar();
  std::string holder;
  auto lease = Lease::acquire(conn, "retention:" + rule.id, options.lease_ttl, holder);
  if (!lease) {
    out.status = "skipped";
    out.error = fmt::format("another worker ({}) is running this rule", holder);
    record(conn, run_id, out, "skipped");
    return;
  }
  // Holding the lease, earlier runs of this rule still marked running were cut short.
  (void)conn.exec(
      "UPDATE anonkit.runs SET status = 'failed', error = 'interrupted: the worker stopped "
      "before the run finished', finished_at = clock_timestamp() WHERE rule = $1 AND "
      "status = 'running' AND id <> CAST($2 AS bigint)",
      {rule.name, run_id});
  out.status = "done";
  try {
    Plan plan = validate(conn, rule, options);
    out.table = plan.table.display;
    out.notes = plan.notes;
    RuleRun run(conn, plan, options, out);
    run.lease = &*lease;
    run.compute_cutoff();
    (void)conn.exec(
        "UPDATE anonkit.runs SET cutoff = CAST($2 AS timestamptz) WHERE id = "
        "CAST($1 AS bigint)",
        {run_id, run.cutoff_tz()});
    if (options.dry_run) {
      run.dry_run();
    } else {
      run.on_flush = [&] { record(conn, run_id, out, "running"); };
      run.drop_partitions();
      run.batches();
      if (options.verify && rule.action == "anonymize") {
        out.verification = run.verification();
        const auto lines = verification_lines(*out.verification);
        for (const auto& l : lines) out.notes.push_back("verify: " + l);
        // The batches stay committed: each was its own transaction, and rolling one back would
        // restore every value the mask did hide, not only the ones it let through.
        if (!lines.empty() && out.status == "done") out.status = "verify_failed";
      }
    }
  } catch (const db::ConnectionError&) {
    throw;
  } catch (const std::exception& e) {
    out.status = "failed";
    out.error = rule_error(rule, e.what());
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  record(conn, run_id, out, out.status);
}

}  // namespace

std::int64_t retention_backlog(db::Connection& conn, const std::string& name,
                               std::shared_ptr<const pseudo::Keyring> keyring) {
  RetentionOptions options;
  options.keyring = std::move(keyring);
  options.progress = false;
  options.rule = name;
  options.dry_run = true;
  options.require_keys = false;  // counts only: keyed masks need no key
  const auto rules = load_rules(conn, options);
  Plan plan = validate(conn, rules.at(0), options);
  RuleOutcome out;
  RuleRun run(conn, plan, options, out);
  run.compute_cutoff();
  run.dry_run();
  return out.rows;
}

std::vector<RuleOutcome> run_retention(const std::string& dsn, const RetentionOptions& options) {
  auto conn = std::make_unique<db::Connection>(dsn);
  const std::vector<Rule> rules = load_rules(*conn, options);
  std::vector<RuleOutcome> outcomes;
  for (const Rule& rule : rules) {
    if (options.stop && options.stop->load()) break;
    RuleOutcome out;
    try {
      if (!conn) conn = std::make_unique<db::Connection>(dsn);
      run_rule(*conn, rule, options, out);
    } catch (const db::ConnectionError& e) {
      conn.reset();  // a fresh session for the next rule; this one's lock died with it
      out.status = "failed";
      out.error = rule_error(rule, e.what());
    }
    if (options.progress && !isatty(STDERR_FILENO) && !options.dry_run)
      std::fprintf(
          stderr, "retention: %s: %s, %lld rows, %lld batches, %lld partitions, %.1f s%s%s\n",
          out.rule.c_str(), out.status.c_str(), static_cast<long long>(out.rows),
          static_cast<long long>(out.batches), static_cast<long long>(out.partitions_dropped),
          out.seconds, out.error.empty() ? "" : ": ", out.error.c_str());
    outcomes.push_back(std::move(out));
  }
  return outcomes;
}

}  // namespace anonkit::pg
