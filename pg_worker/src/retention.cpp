// Retention: validate a rule against the catalog, take its lock, drop partitions wholly past the
// cutoff, then delete or anonymize the rest in keyset batches, each its own short transaction.
#include "retention.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "anonkit/error.hpp"
#include "anonkit/policy/column_mask.hpp"
#include "anonkit/policy/sql_condition.hpp"
#include "catalog.hpp"
#include "lease.hpp"
#include "masked_update.hpp"

namespace anonkit::pg {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kMinBatch = 100, kMaxBatch = 100000, kFirstBatch = 1000;
// Below this share of a leaf's rows past the cutoff, deleting by the time index beats scanning
// every block (measured: ~375k rows/s by index vs ~1M rows/s scanned by block range).
constexpr double kIndexShare = 0.3;

struct Rule {
  std::string id, name, table_name, time_column, keep, action;
  std::optional<std::string> mask, filter;
  std::string digest;  // of the masks and filter: a change re-checks every row behind the cursor
  bool may_cascade = false;
};

// A rule checked against the catalog: everything its statements need, already quoted.
struct Plan {
  Rule rule;
  TableInfo table;
  const ColumnInfo* time = nullptr;
  std::vector<const ColumnInfo*> key;    // primary key (anonymize needs one; delete does not)
  std::vector<const ColumnInfo*> order;  // anonymize's keyset order: time, then key
  std::vector<MaskedColumn> masks;
  std::string filter;  // " AND (...)" or empty
  bool drop_partitions = false;
  std::vector<std::string> notes;  // what the run should say beside its counts
  bool row_local_filter = true;    // the filter depends on its row alone (see anonymize)
};

std::string worker_id() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return fmt::format("{}:{}", host, getpid());
}

std::string rule_error(const Rule& r, std::string_view what) {
  // Messages from common/ already start with "anonkit: "; say which rule they are about.
  std::string_view w = what;
  if (w.rfind("anonkit: ", 0) == 0) w.remove_prefix(9);
  return fmt::format("anonkit: rule '{}': {}", r.name, w);
}

std::string cast(const std::string& param, const ColumnInfo& c) {
  return fmt::format("CAST({} AS {})", param, c.type);
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

class Progress {
 public:
  Progress(bool enabled, std::string rule, std::optional<std::int64_t> total)
      : tty_(enabled && isatty(STDERR_FILENO)), rule_(std::move(rule)), total_(total) {}
  void update(std::int64_t rows) {
    if (!tty_) return;
    const auto now = Clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    const double s = std::chrono::duration<double>(now - start_).count();
    const double rate = s > 0 ? static_cast<double>(rows) / s : 0;
    std::string eta;
    if (total_ && rate > 0 && *total_ > rows)
      eta = fmt::format(", ETA {:.0f} s", static_cast<double>(*total_ - rows) / rate);
    std::fprintf(stderr, "\r\033[Kretention: %s: %lld%s rows, %.0f rows/s%s", rule_.c_str(),
                 static_cast<long long>(rows), total_ ? fmt::format(" of {}", *total_).c_str() : "",
                 rate, eta.c_str());
  }
  void done() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  bool tty_;
  std::string rule_;
  std::optional<std::int64_t> total_;
  Clock::time_point start_ = Clock::now(), last_{};
};

class RuleRun {
 public:
  RuleRun(db::Connection& conn, Plan& plan, const RetentionOptions& options, RuleOutcome& out)
      : conn_(conn), p_(plan), o_(options), out_(out), ctx_(options.keyring) {}

  void compute_cutoff() {
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

  const std::string& cutoff_tz() const { return cutoff_tz_; }

  void dry_run() {
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

  void drop_partitions() {
    if (!p_.drop_partitions) return;
    for (const auto& part : p_.table.partitions) {
      if (stopping()) return;
      if (lease) lease->renew();
      retrying([&] {
        db::Transaction tx(conn_);
        set_timeouts(tx);
        if (!partition_expired(tx, part)) return;
        const auto n = tx.exec(fmt::format("SELECT count(*) FROM {}", part.qualified)).integer();
        // Detached is not enough: a detached partition still holds the personal data.
        (void)tx.exec(
            fmt::format("ALTER TABLE {} DETACH PARTITION {}", p_.table.qualified, part.qualified));
        (void)tx.exec(fmt::format("DROP TABLE {}", part.qualified));
        tx.commit();
        out_.rows += n;
        ++out_.partitions_dropped;
        out_.partitions.push_back(part.display);
      });
    }
  }

  void batches() {
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

  std::function<void()> on_flush;
  Lease* lease = nullptr;  // renewed between batches

 private:
  std::string q(const std::string& name) const { return conn_.quote_name(name); }
  bool stopping() const { return o_.stop != nullptr && o_.stop->load(); }

  // The batch's lock and statement timeouts, and any `extra` settings, in one round trip.
  void set_timeouts(db::Transaction& tx,
                    std::optional<std::chrono::milliseconds> lock_timeout = std::nullopt,
                    db::Transaction::Settings extra = {}) {
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

  // "time < cutoff AND (filter)", the cutoff bound as $1: in every statement that reads or
  // changes rows, so none younger than the rule or outside its filter is ever touched.
  std::string past_cutoff() const {
    return fmt::format("{} < {}{}", q(p_.time->name), cast("$1", *p_.time), p_.filter);
  }

  // Transient failures (lock or statement timeout, deadlock, serialization) retry the whole
  // transaction, with a smaller batch after a timeout.
  template <typename F>
  void retrying(F&& body, std::int64_t* size = nullptr, std::int64_t min_size = kMinBatch) {
    for (int attempt = 0;; ++attempt) {
      try {
        if (lease) lease->renew();  // retries can outlast the lease
        body();
        return;
      } catch (const db::SqlError& e) {
        if (!e.transient() || attempt >= 6) throw;
        if (size) *size = std::max(min_size, *size / 2);
        std::this_thread::sleep_for(std::chrono::milliseconds(50 << attempt));
      }
    }
  }

  template <typename Exec>
  bool partition_expired(Exec& exec, const PartitionInfo& part) {
    if (!part.leaf) return false;
    const auto upper = range_upper_bound(part.bound);
    if (!upper) return false;
    return exec.exec(fmt::format("SELECT {} <= {}", cast("$1", *p_.time), cast("$2", *p_.time)),
                     {*upper, cutoff_})
               .scalar() == "t";
  }

  // Appends "position after `last` in keyset order" to `where`, binding `last`.
  void add_cursor_condition(const std::vector<db::Value>& last, std::string& where,
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

  // Appends "at or before `upper` in keyset order" to `where`, binding `upper`.
  void add_upper_condition(const std::vector<db::Value>& upper, std::string& where,
                           db::Params& params) const {
    std::string lhs, rhs;
    for (std::size_t i = 0; i < p_.order.size(); ++i) {
      params.push_back(upper[i]);
      lhs += (i ? ", " : "") + q(p_.order[i]->name);
      rhs += (i ? ", " : "") + cast(fmt::format("${}", params.size()), *p_.order[i]);
    }
    where += fmt::format(" AND ({}) <= ({})", lhs, rhs);
  }

  // Where the rule's anonymize runs stopped, and what the last complete run checked.
  struct Cursor {
    std::vector<db::Value> last;         // (time, key...) of the last row passed; empty: none yet
    std::optional<std::string> horizon;  // row versions older than this were checked
    std::optional<std::string> digest;   // of the masks and filter they were checked against
  };

  Cursor load_cursor() {
    const auto r = conn_.exec(
        "SELECT c.last_time, u.k, c.horizon::text, c.rule_digest FROM anonkit.retention_cursors c, "
        "unnest(c.last_key) WITH ORDINALITY AS u(k, ord) "
        "WHERE c.rule = $1 AND c.table_name = $2 AND c.time_column = $3 ORDER BY u.ord",
        {p_.rule.name, p_.table.display, p_.time->name});
    if (r.empty()) return {};
    if (r.size() != p_.key.size())
      throw InvalidArgument(fmt::format(
          "anonkit: the saved cursor has {} key columns but {} has {}: the primary key changed. "
          "Delete the rule's row in anonkit.retention_cursors: the next run re-checks every "
          "row past the cutoff (keyed masks are not applied twice: the ledger remembers them)",
          r.size(), p_.table.display, p_.key.size()));
    Cursor c;
    c.last.push_back(r.rows[0][0]);
    for (const auto& row : r.rows) c.last.push_back(row[1]);
    c.horizon = r.rows[0][2];
    c.digest = r.rows[0][3];
    return c;
  }

  // A table, or each leaf partition of a partitioned one: physical row ids are per leaf.
  struct Leaf {
    std::string oid, qualified;
    bool time_index = false;
    double tuples = -1, pages = 0;
  };

  std::vector<Leaf> leaves() {
    std::vector<Leaf> out;
    for (const auto& r :
         conn_
             .exec("SELECT c.oid::text, quote_ident(n.nspname) || '.' || quote_ident(c.relname), "
                   "EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = c.oid "
                   "AND a.attnum = i.indkey[0] JOIN pg_class ic ON ic.oid = i.indexrelid "
                   "JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree' "
                   "WHERE i.indrelid = c.oid AND i.indisvalid AND i.indpred IS NULL AND "
                   "a.attname = $2)::text, c.reltuples::text, c.relpages::text "
                   "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                   // pg_partition_tree() is empty for a table outside any partition tree.
                   "WHERE c.oid IN (SELECT relid FROM pg_partition_tree(CAST($1 AS oid)) "
                   "WHERE isleaf UNION ALL SELECT CAST($1 AS oid)) AND c.relkind = 'r' "
                   "ORDER BY c.relname",
                   {p_.table.oid, p_.time->name})
             .rows)
      out.push_back({*r[0], *r[1], *r[2] == "true", std::stod(*r[3]), std::stod(*r[4])});
    return out;
  }

  // Rows still to delete, for the progress line's ETA.
  std::int64_t pending() {
    return conn_
        .exec(fmt::format("SELECT count(*) FROM {} WHERE {}", p_.table.qualified, past_cutoff()),
              {cutoff_})
        .integer();
  }

  // Runs `batch(size)` until it returns 0, adapting `size` to the target duration unless fixed.
  template <typename F>
  void run_batches(Progress& progress, std::int64_t& size, bool fixed, F&& batch,
                   std::int64_t min_size = kMinBatch, std::int64_t max_size = kMaxBatch) {
    auto flushed = Clock::now();
    while (!stopping()) {
      const auto t0 = Clock::now();
      std::int64_t done = 0;
      retrying([&] { done = batch(size); }, fixed ? nullptr : &size, min_size);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      if (done == 0) break;
      if (lease) lease->renew();
      ++out_.batches;
      out_.longest_batch_ms = std::max(out_.longest_batch_ms, ms);
      progress.update(out_.rows);
      if (!fixed) {
        // Aim at target_batch per transaction; never more than double or less than half at once.
        const double target = static_cast<double>(o_.target_batch.count());
        const double factor = std::clamp(target / std::max(ms, 1.0), 0.5, 2.0);
        size = std::clamp(static_cast<std::int64_t>(static_cast<double>(size) * factor), min_size,
                          max_size);
      }
      if (Clock::now() - flushed > std::chrono::seconds(5)) {
        flushed = Clock::now();
        if (on_flush) on_flush();
      }
    }
  }

  // The share of the leaf's rows past the cutoff: the planner's estimate when the leaf has
  // statistics for the time column and its size has not changed much since they were taken; else
  // measured on a sample of up to 2,000 of its blocks. A bulk-loaded table autovacuum has not
  // analysed yet has none, and the planner's default guess sent 729,018 expired rows through the
  // index at 0.05x the speed of one DELETE.
  double past_share(const Leaf& leaf, std::int64_t blocks, std::string& how) {
    const bool sized = leaf.tuples > 0 && leaf.pages > 0 &&
                       leaf.pages * 2 >= static_cast<double>(blocks) &&
                       leaf.pages <= static_cast<double>(blocks) * 2;
    if (sized &&
        conn_.exec("SELECT EXISTS (SELECT 1 FROM pg_stats s JOIN pg_namespace n ON n.nspname = "
                   "s.schemaname JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = "
                   "s.tablename WHERE c.oid = CAST($1 AS oid) AND s.attname = $2)::text",
                   {leaf.oid, p_.time->name})
                .scalar() == "true") {
      how = "estimated";
      const auto plan = conn_.exec(fmt::format("EXPLAIN (FORMAT JSON) SELECT 1 FROM {} WHERE {}",
                                               leaf.qualified, past_cutoff()),
                                   {cutoff_});
      return nlohmann::json::parse(plan.scalar())[0]["Plan"]["Plan Rows"].get<double>() /
             leaf.tuples;
    }
    how = "sampled";
    const double percent = std::min(100.0, 100.0 * 2000.0 / static_cast<double>(blocks));
    const auto r = conn_.exec(
        fmt::format("SELECT count(*) FILTER (WHERE {}), count(*) FROM {} TABLESAMPLE SYSTEM "
                    "(CAST($2 AS double precision))",
                    past_cutoff(), leaf.qualified),
        {cutoff_, fmt::format("{}", percent)});
    const double total = std::stod(*r.rows[0][1]);
    return total > 0 ? std::stod(*r.rows[0][0]) / total : 1.0;
  }

  // Two ways through a leaf. With an index leading with the time column and few rows past the
  // cutoff: the oldest rows first, by the index. Otherwise: the table's pages in order, a range of
  // blocks per transaction, as fast per row as one plain DELETE (a TID range scan).
  void delete_leaf(const Leaf& leaf, Progress& progress) {
    const std::int64_t blocks =
        conn_
            .exec(
                "SELECT pg_relation_size(CAST($1 AS oid)) / current_setting('block_size')::bigint",
                {leaf.oid})
            .integer();
    if (blocks == 0) return;
    std::string how = "no index leads with the time column";
    const double share = leaf.time_index ? past_share(leaf, blocks, how) : 1.0;
    const std::string why =
        leaf.time_index ? fmt::format("{:.0f}% past the cutoff, {}", share * 100, how) : how;
    if (leaf.time_index && share < kIndexShare) {
      out_.strategies.push_back(fmt::format("{}: by the time index ({})", leaf.qualified, why));
      std::optional<std::string> last;  // time of the last batch's newest row
      std::int64_t size = o_.batch.value_or(kFirstBatch);
      run_batches(progress, size, o_.batch.has_value(),
                  [&](std::int64_t n) { return delete_by_index(leaf, n, last); });
      return;
    }
    out_.strategies.push_back(fmt::format("{}: by block range ({})", leaf.qualified, why));
    const double rows_per_block =
        leaf.pages > 0 && leaf.tuples > 0 ? leaf.tuples / leaf.pages : 50.0;
    std::int64_t size =
        o_.batch
            ? std::max<std::int64_t>(
                  1, static_cast<std::int64_t>(static_cast<double>(*o_.batch) / rows_per_block))
            : 64;
    std::int64_t next = 0;
    run_batches(
        progress, size, o_.batch.has_value(),
        [&](std::int64_t n) { return delete_by_blocks(leaf, n, next, blocks); },
        /*min_size=*/1, /*max_size=*/1 << 20);
  }

  // Deletes the past rows of the next `n` blocks. Returns 0 only when no block is left: a range
  // without past rows still counts as a step.
  std::int64_t delete_by_blocks(const Leaf& leaf, std::int64_t n, std::int64_t& next,
                                std::int64_t blocks) {
    if (next >= blocks) return 0;
    const std::int64_t end = std::min(blocks, next + n);
    const db::Params params{
        cutoff_, fmt::format("({},0)", next),
        end >= blocks ? std::string("(4294967295,0)") : fmt::format("({},0)", end)};
    const std::string where =
        "ctid >= CAST($2 AS tid) AND ctid < CAST($3 AS tid) AND " + past_cutoff();
    db::Rows r;
    try {
      // Usually no application holds an old row: one plain DELETE over the block range, as cheap
      // per row as the DELETE a person would write. A short lock wait, so applications touching
      // rows this batch already deleted are not held up long.
      db::Transaction tx(conn_);
      set_timeouts(tx, std::min(o_.lock_timeout, std::chrono::milliseconds(200)));
      r = tx.exec(fmt::format("DELETE FROM {} WHERE {}", leaf.qualified, where), params);
      tx.commit();
    } catch (const db::SqlError& e) {
      if (e.sqlstate() != "55P03") throw;
      // Some row is locked: lock what is free first and leave the rest to the next run.
      db::Transaction tx(conn_);
      set_timeouts(tx);
      r = tx.exec(fmt::format("DELETE FROM {0} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {0} WHERE "
                              "{1} FOR UPDATE SKIP LOCKED))",
                              leaf.qualified, where),
                  params);
      tx.commit();
    }
    out_.rows += static_cast<std::int64_t>(r.affected);
    next = end;
    return 1;  // one more block range done, rows or not
  }

  std::int64_t delete_by_index(const Leaf& leaf, std::int64_t n, std::optional<std::string>& last) {
    db::Transaction tx(conn_);
    set_timeouts(tx);
    db::Params params{cutoff_, std::to_string(n)};
    std::string where = past_cutoff();
    if (last) {
      // Not strictly after: rows sharing the last time may remain (skipped while locked).
      params.push_back(*last);
      where += fmt::format(" AND {} >= {}", q(p_.time->name), cast("$3", *p_.time));
    }
    const auto r = tx.exec(
        fmt::format(
            "WITH b AS (SELECT ctid, {1} AS t FROM {0} WHERE {2} ORDER BY {1} "
            "LIMIT CAST($2 AS bigint) FOR UPDATE SKIP LOCKED), "
            "d AS (DELETE FROM {0} WHERE ctid = ANY(ARRAY(SELECT ctid FROM b)) RETURNING 1) "
            "SELECT (SELECT count(*) FROM d), max(t)::text FROM b",
            leaf.qualified, q(p_.time->name), where),
        params);
    tx.commit();
    const auto deleted = std::stoll(*r.rows[0][0]);
    if (!r.rows[0][1]) return 0;  // nothing left past the cutoff
    out_.rows += deleted;
    last = *r.rows[0][1];
    return std::max<std::int64_t>(deleted, 1);
  }

  // ---- anonymize ----
  // Two passes per run, each row checked before it is written: first the rows behind the saved
  // cursor that were written since the last complete run (all of them when the masks or filter
  // changed since), then the rows after it, moving the cursor. A masked column is written only
  // when its value is not already the masked one: an idempotent mask is its own check (the
  // UPDATE skips a row whose values would not change), a keyed one is checked in the ledger.
  struct Pass {
    std::vector<db::Value> upper;      // behind the cursor: at or before this position
    std::optional<std::string> since;  // behind: only row versions written since this xid
    bool write = true;                 // false: count what a run would change
    // A cursor from before the ledger existed: keyed cells behind it that the ledger does not
    // know were pseudonymized then; they are recorded as they are, not pseudonymized again.
    bool adopt = false;
    [[nodiscard]] bool forward() const { return upper.empty(); }
  };

  void anonymize(bool write) {
    // Every transaction that commits from here on has an id at or past this horizon.
    const auto snap = conn_.exec(
        "SELECT txid_snapshot_xmin(s)::text, txid_snapshot_xmax(s)::text "
        "FROM txid_current_snapshot() s");
    const std::string horizon = *snap.rows[0][0];
    const std::int64_t next = std::stoll(*snap.rows[0][1]);
    const Cursor cur = load_cursor();
    Progress progress(o_.progress && write, p_.rule.name, std::nullopt);
    std::int64_t size = o_.batch.value_or(kFirstBatch);
    if (!cur.last.empty()) {
      Pass behind;
      behind.upper = cur.last;
      behind.write = write;
      behind.adopt = !cur.horizon;
      // Incremental while the masks and filter are those last checked, the filter depends on its
      // row alone (a subquery or now() makes rows eligible without writing them), and the horizon
      // is comparable: age() counts in 32 bits, so one over 2^30 transactions old, or one from
      // another cluster's numbering (ahead of this one), re-checks all.
      if (cur.horizon && cur.digest == p_.rule.digest && p_.row_local_filter) {
        const std::int64_t h = std::stoll(*cur.horizon);
        const std::int64_t low = h & 0xffffffff;
        if (next - h >= 0 && next - h < (std::int64_t{1} << 30) && low >= 3)
          behind.since = std::to_string(low);
      }
      std::vector<db::Value> pos;
      run_batches(progress, size, o_.batch.has_value(),
                  [&](std::int64_t n) { return anonymize_batch(n, pos, behind); });
      if (adopted_ > 0)
        out_.notes.push_back(fmt::format(
            "{} pseudonymized cells behind the cursor predate the ledger (an older anonkit): "
            "recorded as done, not pseudonymized again; a row that became eligible behind the "
            "cursor before this upgrade may still hold its original values",
            adopted_));
    }
    if (!stopping()) {
      Pass forward;
      forward.write = write;
      std::vector<db::Value> last = cur.last;
      run_batches(progress, size, o_.batch.has_value(),
                  [&](std::int64_t n) { return anonymize_batch(n, last, forward); });
    }
    progress.done();
    if (!write || stopping()) return;
    // The horizon moves only when the catch-up covered everything behind the cursor: a cutoff now
    // before the cursor (--as-of, a longer keep) left rows between them unchecked.
    if (!cur.last.empty() && conn_.exec(fmt::format("SELECT ({} < {})::text", cast("$1", *p_.time),
                                                    cast("$2", *p_.time)),
                                        {cur.last[0], cutoff_})
                                     .scalar() != "true") {
      out_.notes.push_back(
          "the cutoff is before the cursor: rows between them were not re-checked, and will be "
          "once the cutoff passes the cursor again");
      return;
    }
    (void)conn_.exec(
        "UPDATE anonkit.retention_cursors SET horizon = CAST($2 AS bigint), rule_digest = $3 "
        "WHERE rule = $1",
        {p_.rule.name, horizon, p_.rule.digest});
  }

  // The ledger's names for a keyed cell (table, column, key) and for the value written into it:
  // HMACs under the key file's key, 16 bytes, hex.
  std::string ledger_mac(std::string_view purpose, const ColumnInfo& column,
                         const std::vector<db::Value>& parts) const {
    std::string input = p_.table.display;
    input += '\0';
    input += column.name;
    for (const auto& v : parts) {
      input += '\0';
      input += v.value_or("");
    }
    const auto mac = ctx_.pseudonymizer().mac(purpose, input);
    std::string hex;
    for (std::size_t i = 0; i < 16; ++i) hex += fmt::format("{:02x}", mac[i]);
    return hex;
  }

  // The value a keyed mask wrote, with the strategy that wrote it: after a change of strategy
  // (fpe to pseudonym) the cell no longer counts as done.
  std::string written_mac(const MaskedColumn& m, const std::string& value) const {
    return ledger_mac("anonkit-retention-written", *m.column, {m.mask.spec(), value});
  }

  std::int64_t anonymize_batch(std::int64_t size, std::vector<db::Value>& last, const Pass& pass) {
    db::Transaction tx(conn_);
    // The batch's rows are few and found by key: a hash or merge join would read the whole table
    // (the planner cannot see how few rows unnest() yields).
    set_timeouts(tx, std::nullopt, {{"enable_hashjoin", "off"}, {"enable_mergejoin", "off"}});
    db::Params params{cutoff_, std::to_string(size)};
    std::string where = past_cutoff();
    add_cursor_condition(last, where, params);
    if (!pass.forward()) add_upper_condition(pass.upper, where, params);
    // Table-qualified in ORDER BY: a bare name would sort by the select list's text of the same
    // name (ids as text, 10 before 9), out of the keyset's order, and rows would be passed over.
    // No alias: a rule's filter may name the table.
    std::string select, order, window, window_desc;
    for (std::size_t i = 0; i < p_.order.size(); ++i) {
      const std::string col = fmt::format("{}.{}", p_.table.qualified, q(p_.order[i]->name));
      select += fmt::format("{}{}::text", i ? ", " : "", col);
      order += fmt::format("{}{}", i ? ", " : "", col);
      window += fmt::format("{}{} AS w{}", i ? ", " : "", col, i);
      window_desc += fmt::format("{}w{} DESC", i ? ", " : "", i);
    }
    std::vector<db::Value> window_end;
    const std::string limit = " LIMIT CAST($2 AS bigint)";  // a window holds no more anyway
    if (pass.since) {
      // Few rows behind the cursor changed: a batch is the next `size` rows in order (a window,
      // found by the index) and, of those, the ones written since the horizon, so no batch scans
      // far for its matches. A window without any still counts as a step.
      std::string ends;
      for (std::size_t i = 0; i < p_.order.size(); ++i)
        ends += fmt::format("{}w{}::text", i ? ", " : "", i);
      const auto end =
          tx.exec(fmt::format("SELECT {} FROM (SELECT {} FROM {} WHERE {} ORDER BY "
                              "{} LIMIT CAST($2 AS bigint)) w ORDER BY {} LIMIT 1",
                              ends, window, p_.table.qualified, where, order, window_desc),
                  params);
      if (end.empty()) return 0;
      window_end = end.rows[0];
      add_upper_condition(window_end, where, params);
      params.push_back(*pass.since);
      where += fmt::format(" AND age({}.xmin) <= age(CAST(${} AS xid))", p_.table.qualified,
                           params.size());
    }
    for (const auto& m : p_.masks)
      select += ", " + masked_read(conn_, p_.table.qualified, *m.column);
    // FOR UPDATE, not SKIP LOCKED: the cursor moves past every row it passes, so none may be
    // skipped. A row held too long by an application makes the batch time out and retry.
    const auto rows = tx.exec(
        fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {}{}{}", select, p_.table.qualified, where,
                    order, limit, pass.write ? " FOR UPDATE" : ""),
        params);
    if (rows.empty() && window_end.empty()) return 0;
    if (rows.empty()) {  // a window with nothing written since: step past it
      last = window_end;
      return 1;
    }
    const std::size_t nkey = p_.key.size(), norder = p_.order.size();
    const auto key_of = [&](const std::vector<db::Value>& row) {
      return std::vector<db::Value>(row.begin() + 1, row.begin() + 1 + static_cast<long>(nkey));
    };

    // Per row, which keyed cells are still to write ('1'): not in the ledger, or their value is no
    // longer the one written there. Without a key (status), every one counts as to do.
    std::vector<std::size_t> keyed;
    for (std::size_t m = 0; m < p_.masks.size(); ++m)
      if (p_.masks[m].mask.needs_key()) keyed.push_back(m);
    std::vector<std::string> todo(rows.size(), std::string(keyed.size(), '1'));
    std::vector<db::Value> adopt_cells, adopt_written;
    if (!keyed.empty() && ctx_.has_key()) {
      std::vector<std::vector<std::string>> cells(rows.size());
      std::vector<db::Value> wanted;
      for (std::size_t r = 0; r < rows.size(); ++r)
        for (const std::size_t m : keyed) {
          cells[r].push_back(
              ledger_mac("anonkit-retention-cell", *p_.masks[m].column, key_of(rows.rows[r])));
          wanted.emplace_back(cells[r].back());
        }
      std::unordered_map<std::string, std::string> written;
      for (const auto& row :
           tx.exec("SELECT encode(cell, 'hex'), encode(written, 'hex') FROM "
                   "anonkit.retention_ledger WHERE cell = "
                   "ANY(ARRAY(SELECT decode(c, 'hex') FROM unnest(CAST($1 AS text[])) c))",
                   {db::text_array(wanted)})
               .rows)
        written.emplace(*row[0], *row[1]);
      for (std::size_t r = 0; r < rows.size(); ++r)
        for (std::size_t j = 0; j < keyed.size(); ++j) {
          const MaskedColumn& m = p_.masks[keyed[j]];
          const auto& v = rows.rows[r][norder + keyed[j]];
          const auto w = written.find(cells[r][j]);
          const std::string tag = v ? written_mac(m, *v) : std::string();
          bool done = !v || (w != written.end() && w->second == tag);
          if (!done && pass.adopt && w == written.end()) {
            done = true;
            ++adopted_;
            adopt_cells.emplace_back(cells[r][j]);
            adopt_written.emplace_back(tag);
          }
          todo[r][j] = done ? '0' : '1';
        }
    }

    std::int64_t changed = 0;
    if (!pass.write) {
      for (std::size_t r = 0; r < rows.size(); ++r) {
        bool change = todo[r].find('1') != std::string::npos;
        for (std::size_t m = 0; m < p_.masks.size() && !change; ++m) {
          if (p_.masks[m].mask.needs_key()) continue;
          const auto& v = rows.rows[r][norder + m];
          change = p_.masks[m].mask.apply(v ? std::optional<std::string_view>(*v) : std::nullopt,
                                          p_.masks[m].column->kind, ctx_) != v;
        }
        changed += change ? 1 : 0;
      }
    } else {
      std::map<std::string, std::vector<std::size_t>> groups;  // by the keyed cells to write
      for (std::size_t r = 0; r < rows.size(); ++r) groups[todo[r]].push_back(r);
      std::vector<std::pair<std::string, std::string>> match;
      for (const auto* k : p_.key) match.emplace_back("t." + q(k->name), k->type);
      std::vector<db::Value> ledger_cells = adopt_cells, ledger_written = adopt_written;
      for (const auto& [pattern, members] : groups) {
        std::vector<MaskedColumn> masks;
        std::vector<std::size_t> columns;  // index in p_.masks
        std::vector<const MaskedColumn*> keyed_written;
        for (std::size_t m = 0, j = 0; m < p_.masks.size(); ++m) {
          const bool is_keyed = p_.masks[m].mask.needs_key();
          if (is_keyed && pattern[j++] == '0') continue;
          masks.push_back(p_.masks[m]);
          columns.push_back(m);
          if (is_keyed) keyed_written.push_back(&p_.masks[m]);
        }
        if (masks.empty()) continue;
        std::vector<std::vector<db::Value>> values;
        for (const std::size_t r : members) {
          auto v = key_of(rows.rows[r]);
          for (const std::size_t m : columns) v.push_back(rows.rows[r][norder + m]);
          values.push_back(std::move(v));
        }
        WriteOptions w;
        w.only_changed = true;
        for (const auto* k : p_.key) w.returning.push_back("t." + q(k->name));
        for (const auto* c : keyed_written)
          w.returning.push_back(masked_read(conn_, "t", *c->column));
        std::vector<std::vector<db::Value>> back;
        if (!keyed_written.empty()) w.returned = &back;
        changed += static_cast<std::int64_t>(
            write_masked(conn_, tx, p_.table, match, masks, values, {}, ctx_, nullptr, w));
        for (const auto& row : back) {
          const std::vector<db::Value> key(row.begin(), row.begin() + static_cast<long>(nkey));
          for (std::size_t j = 0; j < keyed_written.size(); ++j) {
            const auto& v = row[nkey + j];
            if (!v) continue;
            ledger_cells.emplace_back(
                ledger_mac("anonkit-retention-cell", *keyed_written[j]->column, key));
            ledger_written.emplace_back(written_mac(*keyed_written[j], *v));
          }
        }
      }
      if (!ledger_cells.empty())
        (void)tx.exec(
            "INSERT INTO anonkit.retention_ledger (cell, written) "
            "SELECT decode(c, 'hex'), decode(w, 'hex') "
            "FROM unnest(CAST($1 AS text[]), CAST($2 AS text[])) AS u(c, w) "
            "ON CONFLICT (cell) DO UPDATE SET written = excluded.written",
            {db::text_array(ledger_cells), db::text_array(ledger_written)});
      const auto& end = rows.rows.back();
      if (pass.forward())
        (void)tx.exec(
            "INSERT INTO anonkit.retention_cursors (rule, table_name, time_column, last_time, "
            "last_key, updated_at) VALUES ($1, $2, $3, $4, CAST($5 AS text[]), now()) "
            "ON CONFLICT (rule) DO UPDATE SET table_name = excluded.table_name, "
            "time_column = excluded.time_column, last_time = excluded.last_time, "
            "last_key = excluded.last_key, updated_at = excluded.updated_at",
            {p_.rule.name, p_.table.display, p_.time->name, end[0], db::text_array(key_of(end))});
      tx.commit();
    }
    out_.rows += changed;
    const auto& end = rows.rows.back();
    last.assign(end.begin(), end.begin() + static_cast<long>(norder));
    return static_cast<std::int64_t>(rows.size());
  }

  db::Connection& conn_;
  Plan& p_;
  const RetentionOptions& o_;
  RuleOutcome& out_;
  policy::MaskContext ctx_;
  std::string cutoff_, cutoff_tz_;
  std::int64_t adopted_ = 0;
};

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
      "finished_at = CASE WHEN $2 = 'running' THEN NULL ELSE clock_timestamp() END WHERE id = "
      "CAST($1 AS bigint)",
      {run_id, status, std::to_string(o.rows), std::to_string(o.batches),
       std::to_string(o.partitions_dropped), fmt::format("{}", o.longest_batch_ms),
       o.error.empty() ? db::Value{} : db::Value{o.error}, notes});
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
