// Retriever and Destroyer latency: a subject with ~1,000 rows over 12 tables, in a database of
// 1,000,000 rows and then of 10,000,000 (the cost must stay flat). Median of 5 subjects each;
// asserts nothing. Needs a server from the PG* variables (scripts/bench uses pg_virtualenv).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "anonkit/pseudo/keyring.hpp"
#include "db/connection.hpp"
#include "destroyer.hpp"
#include "install.hpp"
#include "subjects.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using anonkit::pg::db::Connection;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// customers + 12 tables (transfers between customers below): t1..t8 refer to customers, t9 -> t1,
// t10 -> t9, t11 -> t10 (a chain, as order lines and shipments). Subjects 1..5 get 90 rows in each
// table; the rest is filler spread over the other customers.
void build(Connection& c, long total) {
  const long customers = total / 10;
  const long per_table = (total - customers) / 12;
  (void)c.exec("CREATE TABLE customers (id bigint PRIMARY KEY, email text, name text)");
  (void)c.exec(
      "INSERT INTO customers SELECT i, 'c' || i || '@example.com', 'Customer ' || i "
      "FROM generate_series(1, $1::bigint) i",
      {std::to_string(customers)});
  for (int t = 1; t <= 11; ++t) {
    const std::string parent = t <= 8 ? "customers" : fmt::format("t{}", t == 9 ? 1 : t - 1);
    (void)c.exec(
        fmt::format("CREATE TABLE t{} (id bigint PRIMARY KEY, ref bigint NOT NULL "
                    "REFERENCES {}, payload text)",
                    t, parent));
    // The subjects' rows first (ids 1..450: 90 per subject), then filler.
    if (t <= 8)
      (void)c.exec(
          fmt::format("INSERT INTO t{} SELECT i, (i - 1) / 90 + 1, md5(i::text) "
                      "FROM generate_series(1, 450) i",
                      t));
    else
      (void)c.exec(fmt::format(
          "INSERT INTO t{} SELECT i, i, md5(i::text) FROM generate_series(1, 450) i", t));
    (void)c.exec(
        fmt::format("INSERT INTO t{} SELECT i, 6 + (i * 7919) % ($2::bigint - 6), md5(i::text) "
                    "FROM generate_series(451, $1::bigint) i",
                    t),
        {std::to_string(per_table), std::to_string(t <= 8 ? customers : per_table)});
    (void)c.exec(fmt::format("CREATE INDEX ON t{} (ref)", t));
  }
  // Transfers between two customers: a subject's 100 transfers to someone else are shared rows
  // (listed by access, detached by erase, never deleted).
  (void)c.exec(
      "CREATE TABLE transfers (id bigint PRIMARY KEY, src bigint REFERENCES customers, "
      "dst bigint REFERENCES customers, amount numeric)");
  (void)c.exec(
      "INSERT INTO transfers SELECT i, (i - 1) / 100 + 1, 1000 + i, 10 FROM generate_series(1, "
      "500) i");
  (void)c.exec(
      "INSERT INTO transfers SELECT i, 6 + (i * 7919) % ($2::bigint - 6), 6 + (i * 104729) % "
      "($2::bigint - 6), 10 FROM generate_series(501, $1::bigint) i",
      {std::to_string(per_table), std::to_string(customers)});
  (void)c.exec("CREATE INDEX ON transfers (src)");
  (void)c.exec("CREATE INDEX ON transfers (dst)");
  (void)c.exec("VACUUM ANALYZE");
  (void)c.exec("INSERT INTO anonkit.subjects VALUES ('customer', 'public.customers', 'id')");
}

}  // namespace

int main(int argc, char** argv) {
  const long base = argc > 1 ? std::atol(argv[1]) : 1000000;
  try {
    std::array<std::uint8_t, 32> master{};
    for (std::size_t i = 0; i < master.size(); ++i)
      master[i] = static_cast<std::uint8_t>(i * 37 + 11);
    const auto keyring = anonkit::pseudo::Keyring::from_bytes(master);
    anonkit::pg::EraseOptions options;
    options.keyring = keyring;
    std::printf("%-14s %10s %8s %14s %14s\n", "database rows", "owned", "shared", "access ms",
                "erase ms");
    for (const long total : {base, base * 10}) {
      const std::string db = "anonkit_dsar_bench";
      {
        Connection admin("dbname=postgres");
        (void)admin.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        (void)admin.exec("CREATE DATABASE " + db);
      }
      {
        Connection c("dbname=" + db);
        (void)anonkit::pg::install_schema(c);
        build(c, total);
        std::vector<double> access, erase;
        std::int64_t rows = 0, shared = 0;
        for (int s = 1; s <= 5; ++s) {
          auto t0 = Clock::now();
          const auto a = anonkit::pg::access_subject(c, "customer", std::to_string(s), *keyring);
          access.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          rows = shared = 0;
          for (const auto& [_, n] : a.counts) {
            if (n.count("owned")) rows += n.at("owned");
            if (n.count("shared")) shared += n.at("shared");
          }
          t0 = Clock::now();
          (void)anonkit::pg::erase_subject(c, "customer", std::to_string(s), options);
          erase.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        }
        std::printf("%-14ld %10lld %8lld %14.1f %14.1f\n", total, static_cast<long long>(rows),
                    static_cast<long long>(shared), median(access), median(erase));
      }
      Connection admin("dbname=postgres");
      (void)admin.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    }
    std::printf(
        "(subject rows over 13 tables, shared rows in transfers; median of 5 subjects; targets < "
        "100 ms each, flat "
        "from 1x to 10x)\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
