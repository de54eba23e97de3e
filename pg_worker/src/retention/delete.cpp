// Delete rules, leaf by leaf: by block range (a TID range scan, as cheap per row as one plain
// DELETE) or, with a time index and few expired rows, oldest first by the index.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "retention/rule_run.hpp"

namespace anonkit::pg::retention {

std::vector<RuleRun::Leaf> RuleRun::leaves() {
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

std::int64_t RuleRun::pending() {
  return conn_
      .exec(fmt::format("SELECT count(*) FROM {} WHERE {}", p_.table.qualified, past_cutoff()),
            {cutoff_})
      .integer();
}

double RuleRun::past_share(const Leaf& leaf, std::int64_t blocks, std::string& how) {
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
    return nlohmann::json::parse(plan.scalar())[0]["Plan"]["Plan Rows"].get<double>() / leaf.tuples;
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

void RuleRun::delete_leaf(const Leaf& leaf, Progress& progress) {
  const std::int64_t blocks =
      conn_
          .exec("SELECT pg_relation_size(CAST($1 AS oid)) / current_setting('block_size')::bigint",
                {leaf.oid})
          .integer();
  if (blocks == 0) return;
  std::string how = "no index leads with the time column";
  const double share = leaf.time_index ? past_share(leaf, blocks, how) : 1.0;
  const std::string why =
      leaf.time_index ? fmt::format("{:.0f}% past the cutoff, {}", share * 100, how) : how;
  if (choose_delete_way(leaf.time_index, share) == DeleteWay::kByIndex) {
    out_.strategies.push_back(fmt::format("{}: by the time index ({})", leaf.qualified, why));
    std::optional<std::string> last;  // time of the last batch's newest row
    std::int64_t size = o_.batch.value_or(kFirstBatch);
    run_batches(progress, size, o_.batch.has_value(),
                [&](std::int64_t n) { return delete_by_index(leaf, n, last); });
    return;
  }
  out_.strategies.push_back(fmt::format("{}: by block range ({})", leaf.qualified, why));
  const double rows_per_block = leaf.pages > 0 && leaf.tuples > 0 ? leaf.tuples / leaf.pages : 50.0;
  std::int64_t size =
      o_.batch ? std::max<std::int64_t>(
                     1, static_cast<std::int64_t>(static_cast<double>(*o_.batch) / rows_per_block))
               : 64;
  std::int64_t next = 0;
  run_batches(
      progress, size, o_.batch.has_value(),
      [&](std::int64_t n) { return delete_by_blocks(leaf, n, next, blocks); },
      /*min_size=*/1, /*max_size=*/1 << 20);
}

std::int64_t RuleRun::delete_by_blocks(const Leaf& leaf, std::int64_t n, std::int64_t& next,
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

std::int64_t RuleRun::delete_by_index(const Leaf& leaf, std::int64_t n,
                                      std::optional<std::string>& last) {
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
      fmt::format("WITH b AS (SELECT ctid, {1} AS t FROM {0} WHERE {2} ORDER BY {1} "
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

}  // namespace anonkit::pg::retention
