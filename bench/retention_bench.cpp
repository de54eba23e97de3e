// Retention throughput and how it treats a live application: 2 million expired rows out of 4
// million deleted by the worker (adaptive batches) and, on an identical copy, by one plain
// DELETE ... WHERE time < cutoff. While each runs, another connection inserts single rows and their
// latencies are recorded; once on analysed tables and once on bulk-loaded ones without statistics.
// Then the cost of the anonymize catch-up. Prints rows/s, the ratios, the longest transaction and
// insert p50/p99/max; asserts nothing. Needs a server from the PG* variables (scripts/bench uses
// pg_virtualenv).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "anonkit/pseudo/keyring.hpp"
#include "db/connection.hpp"
#include "install.hpp"
#include "retention.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using anonkit::pg::db::Connection;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Inserts single rows into `table` until stopped; returns the latencies in milliseconds.
struct Writer {
  Writer(const std::string& dsn, std::string table) : table_(std::move(table)) {
    thread_ = std::thread([this, dsn] {
      Connection c(dsn);
      while (!stop_.load()) {
        const auto t0 = Clock::now();
        (void)c.exec(fmt::format("INSERT INTO {} (at, payload) VALUES (now(), 'live')", table_));
        ms_.push_back(since(t0) * 1000);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  std::vector<double> finish() {
    stop_ = true;
    thread_.join();
    std::sort(ms_.begin(), ms_.end());
    return ms_;
  }
  std::string table_;
  std::atomic<bool> stop_{false};
  std::vector<double> ms_;
  std::thread thread_;
};

double pct(const std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

struct Result {
  double seconds = 1e100, longest_ms = 0;
  std::int64_t rows = 0, batches = 0;
  std::vector<double> latencies;
};

anonkit::pg::RuleOutcome run_rule(Connection& c, const std::string& dsn, const std::string& sql,
                                  const anonkit::pg::RetentionOptions& options) {
  (void)c.exec("DELETE FROM anonkit.retention_rules");
  (void)c.exec(sql);
  const auto outcomes = anonkit::pg::run_retention(dsn, options);
  const auto& o = outcomes.at(0);
  if (o.status != "done") throw std::runtime_error("worker: " + o.status + " " + o.error);
  return o;
}

// Four identical tables timed plain, worker, worker, plain, so a slow moment of the machine or a
// checkpoint falls on both alike; each method keeps its best. With `analyzed` false the tables
// are bulk-loaded with autovacuum off and never analysed: no planner statistics.
void compare_deletes(Connection& c, const std::string& dsn, long rows, bool analyzed) {
  const char* kTables[] = {"plain_1", "worker_1", "worker_2", "plain_2"};
  std::printf("\nsetting up: %ld rows in each of four identical tables, %s ...\n", rows,
              analyzed ? "vacuumed and analysed" : "bulk-loaded, autovacuum off, no statistics");
  for (const char* t : kTables) {
    (void)c.exec(fmt::format("DROP TABLE IF EXISTS {}", t));
    (void)c.exec(
        fmt::format("CREATE TABLE {} (id bigserial PRIMARY KEY, at timestamptz NOT NULL, "
                    "payload text){}",
                    t, analyzed ? "" : " WITH (autovacuum_enabled = false)"));
    if (!analyzed) (void)c.exec(fmt::format("CREATE INDEX ON {} (at)", t));
    // Interleaved ages, as in a real table: half the rows are older than 400 days.
    (void)c.exec(fmt::format("INSERT INTO {} (at, payload) SELECT now() - ((i % 800) || ' "
                             "days')::interval - interval '1 hour', md5(i::text) || "
                             "md5((i * 7)::text) FROM generate_series(1, $1::bigint) i",
                             t),
                 {std::to_string(rows)});
    if (analyzed) {
      (void)c.exec(fmt::format("CREATE INDEX ON {} (at)", t));
      (void)c.exec(fmt::format("VACUUM ANALYZE {}", t));
    }
  }
  const auto expired =
      c.exec("SELECT count(*) FROM plain_1 WHERE at < now() - interval '400 days'").integer();
  Result plain, worker;
  std::string strategy;
  for (const char* t : kTables) {
    (void)c.exec("CHECKPOINT");
    Writer writer(dsn, t);
    const bool is_plain = std::string_view(t).rfind("plain", 0) == 0;
    Result r;
    const auto t0 = Clock::now();
    if (is_plain) {
      // Baseline: one plain DELETE, one transaction, on a fresh session, as a person or a cron
      // job would run it (and as the worker does).
      Connection session(dsn);
      r.rows = static_cast<std::int64_t>(
          session.exec(fmt::format("DELETE FROM {} WHERE at < now() - interval '400 days'", t))
              .affected);
      r.seconds = since(t0);
      r.longest_ms = r.seconds * 1000;
    } else {
      anonkit::pg::RetentionOptions options;
      options.progress = false;
      const auto o = run_rule(c, dsn,
                              fmt::format("INSERT INTO anonkit.retention_rules (name, table_name, "
                                          "time_column, keep) VALUES ('{0}', '{0}', 'at', '400 "
                                          "days')",
                                          t),
                              options);
      r.seconds = since(t0);
      r.rows = o.rows;
      r.batches = o.batches;
      r.longest_ms = o.longest_batch_ms;
      if (!o.strategies.empty()) strategy = o.strategies[0];
    }
    r.latencies = writer.finish();
    std::printf("  %-10s %lld rows in %.2f s\n", t, static_cast<long long>(r.rows), r.seconds);
    Result& best = is_plain ? plain : worker;
    if (r.seconds < best.seconds) best = r;
  }
  const char* label = analyzed ? "with statistics" : "without statistics";
  std::printf(
      "retention %s: %ld rows, %lld expired (plain DELETE removed %lld, worker %lld); best of 2 "
      "each; worker: %s\n",
      label, rows, static_cast<long long>(expired), static_cast<long long>(plain.rows),
      static_cast<long long>(worker.rows), strategy.c_str());
  std::printf("%-28s %12s %10s %14s %10s %10s %10s\n", "", "rows/s", "seconds", "longest txn ms",
              "ins p50", "ins p99", "ins max");
  for (const auto& [name, r] : {std::pair{"plain DELETE (baseline)", &plain},
                                std::pair{"anonkit-worker retention", &worker}})
    std::printf("%-28s %12.0f %10.2f %14.0f %10.2f %10.2f %10.2f\n", name,
                static_cast<double>(r->rows) / r->seconds, r->seconds, r->longest_ms,
                pct(r->latencies, 0.5), pct(r->latencies, 0.99), pct(r->latencies, 1.0));
  std::printf(
      "worker / plain rows/s (%s): %.2f (target >= 0.70); %lld batches; longest transaction "
      "%.0f ms (target <= 1000)\n",
      label, plain.seconds / worker.seconds, static_cast<long long>(worker.batches),
      worker.longest_ms);
}

// What the anonymize catch-up costs: a first run over `rows` expired rows, then runs with nothing
// changed (the first re-reads what the last run wrote, the next only scans), then one after 1% of
// the rows behind the cursor were written again, then one after the masks changed (every row
// re-checked).
void anonymize_catch_up(Connection& c, const std::string& dsn, long rows) {
  std::printf("\nsetting up: %ld expired rows for an anonymize rule ...\n", rows);
  (void)c.exec("DROP TABLE IF EXISTS claims");
  (void)c.exec(
      "CREATE TABLE claims (id bigserial PRIMARY KEY, at timestamptz NOT NULL, status text, "
      "email text, age integer)");
  (void)c.exec(
      "INSERT INTO claims (at, status, email, age) SELECT now() - interval '6 years' - (i || ' "
      "seconds')::interval, 'closed', 'u' || i || '@example.org', i % 90 FROM "
      "generate_series(1, $1::bigint) i",
      {std::to_string(rows)});
  (void)c.exec("CREATE INDEX ON claims (at)");
  (void)c.exec("VACUUM ANALYZE claims");
  std::array<std::uint8_t, 32> key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i * 13 + 5);
  anonkit::pg::RetentionOptions options;
  options.progress = false;
  options.keyring = anonkit::pseudo::Keyring::from_bytes(key);
  (void)c.exec("DELETE FROM anonkit.retention_rules");
  (void)c.exec(
      "INSERT INTO anonkit.retention_rules (name, table_name, time_column, keep, action, mask, "
      "filter) VALUES ('claims', 'claims', 'at', '5 years', 'anonymize', '{}', 'status = "
      "''closed''')");
  const char* kMask = R"({"email": "pseudonym:email", "age": "bucket:10"})";
  const char* kWider = R"({"email": "pseudonym:email", "age": "bucket:10", "status": "redact"})";
  std::printf("%-52s %10s %10s %12s\n", "anonymize run", "seconds", "rows", "rows/s");
  const auto timed = [&](const char* label, const char* mask) {
    (void)c.exec("UPDATE anonkit.retention_rules SET mask = CAST($1 AS jsonb)", {mask});
    const auto t0 = Clock::now();
    const auto outcomes = anonkit::pg::run_retention(dsn, options);
    const double s = since(t0);
    const auto& o = outcomes.at(0);
    if (o.status != "done") throw std::runtime_error("worker: " + o.status + " " + o.error);
    std::printf("%-52s %10.2f %10lld %12.0f\n", label, s, static_cast<long long>(o.rows),
                static_cast<double>(rows) / s);
    return s;
  };
  const double first = timed("first run (every row)", kMask);
  const double reread = timed("nothing changed: re-reads the last run's rows", kMask);
  const double steady = timed("nothing changed again: scan only", kMask);
  (void)c.exec("UPDATE claims SET email = 'again' || id || '@example.org' WHERE id % 100 = 0");
  const double some = timed("1% of the rows written again behind the cursor", kMask);
  const double wider = timed("masks changed: every row re-checked", kWider);
  std::printf(
      "catch-up cost as a share of the first run: re-read %.2f, steady %.2f, 1%% changed %.2f, "
      "masks changed %.2f\n",
      reread / first, steady / first, some / first, wider / first);
}

}  // namespace

int main(int argc, char** argv) {
  const long rows = argc > 1 ? std::atol(argv[1]) : 4000000;
  try {
    const std::string db = "anonkit_bench";
    {
      Connection admin("dbname=postgres");
      (void)admin.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      (void)admin.exec("CREATE DATABASE " + db);
    }
    const std::string dsn = "dbname=" + db;
    auto owner = std::make_unique<Connection>(dsn);
    Connection& c = *owner;
    (void)anonkit::pg::install_schema(c);
    compare_deletes(c, dsn, rows, /*analyzed=*/true);
    compare_deletes(c, dsn, rows, /*analyzed=*/false);
    anonymize_catch_up(c, dsn, rows / 4);
    owner.reset();
    Connection admin("dbname=postgres");
    (void)admin.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
