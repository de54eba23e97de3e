// The parts of a rule run every strategy shares: the cutoff, the conditions, the dispatch.
#include "retention/rule_run.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "anonkit/error.hpp"

namespace anonkit::pg::retention {

void RuleRun::compute_cutoff() {
  const std::string now = o_.as_of ? "CAST($3 AS timestamptz)" : std::string("now()");
  if (o_.as_of) {
    const auto future = conn_.exec("SELECT CAST($1 AS timestamptz) > now()", {*o_.as_of});
    if (future.scalar() == "t")
      throw InvalidArgument(fmt::format(
          "anonkit: --as-of {} is in the future: expected a time at or before now", *o_.as_of));
  }
  // `keep` is counted on the application's calendar (its TimeZone: months and days across a
  // daylight-saving change), and a `timestamp without time zone` or `date` column is read in it.
  db::Params params{p_.rule.keep, conn_.time_zone()};
  if (o_.as_of) params.push_back(*o_.as_of);
  const std::string local = fmt::format("(({} AT TIME ZONE $2) - CAST($1 AS interval))", now);
  const std::string in_type = p_.time->with_time_zone
                                  ? fmt::format("({} AT TIME ZONE $2)", local)
                                  : fmt::format("CAST({} AS {})", local, p_.time->type);
  const std::string as_tz = p_.time->with_time_zone
                                ? in_type
                                : fmt::format("(CAST({} AS timestamp) AT TIME ZONE $2)", in_type);
  const auto r = conn_.exec(fmt::format("SELECT ({})::text, ({})::text", in_type, as_tz), params);
  cutoff_ = *r.rows[0][0];
  cutoff_tz_ = *r.rows[0][1];
  out_.cutoff = cutoff_;
}

void RuleRun::dry_run() {
  if (p_.rule.action == "anonymize") {
    // The run's own passes, reading only: rows whose masked values would change.
    anonymize(/*write=*/false);
    return;
  }
  const auto r =
      conn_.exec(fmt::format("SELECT count(*), min({0})::text, max({0})::text FROM {1} WHERE {2}",
                             q(p_.time->name), p_.table.qualified, past_cutoff()),
                 {cutoff_});
  out_.rows = std::stoll(*r.rows[0][0]);
  out_.oldest = r.rows[0][1];
  out_.newest = r.rows[0][2];
  if (p_.drop_partitions)
    for (const auto& part : p_.table.partitions)
      if (partition_expired(conn_, part)) out_.partitions.push_back(part.display);
}

void RuleRun::batches() {
  if (p_.rule.action == "anonymize") {
    anonymize(/*write=*/true);
  } else {
    std::optional<std::int64_t> total;
    if (o_.progress && isatty(STDERR_FILENO)) total = pending();
    Progress progress(o_.progress, p_.rule.name, total);
    for (const Leaf& leaf : leaves()) {
      if (stopping()) break;
      delete_leaf(leaf, progress);
    }
    progress.done();
  }
  if (stopping()) out_.status = "stopped";
}

void RuleRun::set_timeouts(db::Transaction& tx,
                           std::optional<std::chrono::milliseconds> lock_timeout,
                           db::Transaction::Settings extra) {
  extra.emplace_back("lock_timeout",
                     std::to_string(lock_timeout.value_or(o_.lock_timeout).count()));
  extra.emplace_back("statement_timeout", std::to_string(o_.statement_timeout.count()));
  // A batch need not wait for its own WAL flush: one plain DELETE waits once, a run of batches
  // would wait once per batch. A crash may lose the last few batches (a fraction of a second of
  // them, with the cursor and ledger rows in the same transactions): the next run redoes them.
  // The run's record is written with a synchronous commit, which flushes every batch before it.
  extra.emplace_back("synchronous_commit", "off");
  tx.set_local(extra);
}

std::string RuleRun::past_cutoff() const {
  return fmt::format("{} < {}{}", q(p_.time->name), cast("$1", *p_.time), p_.filter);
}

void RuleRun::add_cursor_condition(const std::vector<db::Value>& last, std::string& where,
                                   db::Params& params) const {
  if (last.empty()) return;
  std::string lhs, rhs;
  for (std::size_t i = 0; i < p_.order.size(); ++i) {
    params.push_back(last[i]);
    const std::string param = cast(fmt::format("${}", params.size()), *p_.order[i]);
    if (i == 0 && p_.order[0] == p_.time)  // lets an index on the time column bound the scan
      where += fmt::format(" AND {} >= {}", q(p_.time->name), param);
    lhs += (i ? ", " : "") + q(p_.order[i]->name);
    rhs += (i ? ", " : "") + param;
  }
  where += fmt::format(" AND ({}) > ({})", lhs, rhs);
}

void RuleRun::add_upper_condition(const std::vector<db::Value>& upper, std::string& where,
                                  db::Params& params) const {
  std::string lhs, rhs;
  for (std::size_t i = 0; i < p_.order.size(); ++i) {
    params.push_back(upper[i]);
    lhs += (i ? ", " : "") + q(p_.order[i]->name);
    rhs += (i ? ", " : "") + cast(fmt::format("${}", params.size()), *p_.order[i]);
  }
  where += fmt::format(" AND ({}) <= ({})", lhs, rhs);
}

}  // namespace anonkit::pg::retention
