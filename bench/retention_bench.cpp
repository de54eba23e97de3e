// Retention throughput and how it treats a live application: 2 million expired rows out of 4
// million deleted by the worker (adaptive batches) and, on an identical copy, by one plain
// DELETE ... WHERE time < cutoff. While each runs, another connection inserts single rows and their
// latencies are recorded. Prints rows/s, the ratio, the longest transaction and insert p50/p99/max;
// asserts nothing. Needs a server from the PG* variables (scripts/bench uses pg_virtualenv).
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

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
    std::printf("setting up: %ld rows in each of two identical tables ...\n", rows);
    for (const char* t : {"events_worker", "events_plain"}) {
      (void)c.exec(fmt::format("CREATE TABLE {} (id bigserial PRIMARY KEY, at timestamptz NOT NULL, "
                               "payload text)",
                               t));
      // Interleaved ages, as in a real table: half the rows are older than 400 days.
      (void)c.exec(fmt::format("INSERT INTO {} (at, payload) SELECT now() - ((i % 800) || ' days')::interval "
                               "- interval '1 hour', md5(i::text) || md5((i * 7)::text) "
                               "FROM generate_series(1, $1::bigint) i",
                               t),
                   {std::to_string(rows)});
      (void)c.exec(fmt::format("CREATE INDEX ON {} (at)", t));
      (void)c.exec(fmt::format("VACUUM ANALYZE {}", t));
    }
    (void)c.exec("CHECKPOINT");
    const auto expired =
        c.exec("SELECT count(*) FROM events_plain WHERE at < now() - interval '400 days'").integer();

    // Baseline: one plain DELETE, one transaction.
    Writer plain_writer(dsn, "events_plain");
    auto t0 = Clock::now();
    const auto deleted =
        c.exec("DELETE FROM events_plain WHERE at < now() - interval '400 days'").affected;
    const double plain_s = since(t0);
    const auto plain_lat = plain_writer.finish();
    (void)c.exec("CHECKPOINT");

    (void)c.exec("INSERT INTO anonkit.retention_rules (name, table_name, time_column, keep) "
                 "VALUES ('bench', 'events_worker', 'at', '400 days')");
    Writer worker_writer(dsn, "events_worker");
    anonkit::pg::RetentionOptions options;
    options.progress = false;
    t0 = Clock::now();
    const auto outcomes = anonkit::pg::run_retention(dsn, options);
    const double worker_s = since(t0);
    const auto worker_lat = worker_writer.finish();
    const auto& o = outcomes.at(0);
    if (o.status != "done") {
      std::fprintf(stderr, "worker: %s %s\n", o.status.c_str(), o.error.c_str());
      return 1;
    }

    std::printf("\nretention: %ld rows, %lld expired (plain DELETE removed %llu, worker %lld)\n",
                rows, static_cast<long long>(expired), static_cast<unsigned long long>(deleted),
                static_cast<long long>(o.rows));
    std::printf("%-28s %12s %10s %14s %10s %10s %10s\n", "", "rows/s", "seconds",
                "longest txn ms", "ins p50", "ins p99", "ins max");
    std::printf("%-28s %12.0f %10.2f %14.0f %10.2f %10.2f %10.2f\n", "plain DELETE (baseline)",
                static_cast<double>(deleted) / plain_s, plain_s, plain_s * 1000,
                pct(plain_lat, 0.5), pct(plain_lat, 0.99), pct(plain_lat, 1.0));
    std::printf("%-28s %12.0f %10.2f %14.0f %10.2f %10.2f %10.2f\n", "anonkit-worker retention",
                static_cast<double>(o.rows) / worker_s, worker_s, o.longest_batch_ms,
                pct(worker_lat, 0.5), pct(worker_lat, 0.99), pct(worker_lat, 1.0));
    std::printf("worker / plain rows/s: %.2f (target >= 0.70); %lld batches; longest transaction "
                "%.0f ms (target <= 1000)\n",
                plain_s / worker_s, static_cast<long long>(o.batches), o.longest_batch_ms);
    owner.reset();
    Connection admin("dbname=postgres");
    (void)admin.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
