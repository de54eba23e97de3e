// The PostgreSQL inventory's cost against a plain count(*) of the same tables, on 1,000,000 and
// 10,000,000 rows (with statistics) and on 10,000,000 rows never analysed: sampling bounds the
// inventory's time, so its ratio to count(*) falls as the table grows. Prints seconds and ratios;
// asserts nothing. Needs a server from the PG* variables (scripts/bench uses pg_virtualenv).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "db/connection.hpp"
#include "inventory.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using anonkit::pg::db::Connection;

double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Best of three, so one cold cache does not decide.
template <typename F>
double best_of_three(F f) {
  double best = 1e300;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, since(t0));
  }
  return best;
}

void create(Connection& c, const std::string& name, long rows, bool analyse) {
  (void)c.exec(fmt::format("DROP TABLE IF EXISTS {}", name));
  (void)c.exec(fmt::format(
      "CREATE TABLE {} AS SELECT i AS id, "
      "CASE WHEN i % 50 = 0 THEN '+2547' || lpad((i % 100000000)::text, 8, '0') "
      "ELSE 'order ' || i END AS contact, "
      "'member' || (i % 9973) || '@example.com' AS email, (i % 1000)::numeric AS amount "
      "FROM generate_series(1, {}) i",
      name, rows));
  if (analyse) (void)c.exec(fmt::format("ANALYZE {}", name));
}

}  // namespace

int main(int argc, char** argv) {
  const long big = argc > 1 ? std::atol(argv[1]) : 10'000'000;
  try {
    const std::string db = "anonkit_inventory_bench";
    {
      Connection admin("dbname=postgres");
      (void)admin.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
      (void)admin.exec("CREATE DATABASE " + db);
    }
    Connection c("dbname=" + db);
    (void)c.exec("CREATE SCHEMA inv");
    std::printf("%-44s %10s %10s %10s\n", "table", "inventory", "count(*)", "x count");
    struct Case {
      const char* label;
      long rows;
      bool analyse;
    };
    const Case cases[] = {{"1,000,000 rows, analysed", big / 10, true},
                          {"10,000,000 rows, analysed", big, true},
                          {"10,000,000 rows, never analysed", big, false}};
    for (const Case& k : cases) {
      (void)c.exec("DROP SCHEMA inv CASCADE");
      (void)c.exec("CREATE SCHEMA inv");
      create(c, "inv.t", k.rows, k.analyse);
      anonkit::pg::InventoryOptions options;
      options.schemas = {"inv"};
      long columns = 0;
      const double inventory = best_of_three([&] {
        const auto inv = anonkit::pg::take_inventory(c, options);
        columns = 0;
        for (const auto& t : inv.tables) columns += static_cast<long>(t.columns.size());
      });
      const double count = best_of_three([&] { (void)c.exec("SELECT count(*) FROM inv.t"); });
      std::printf("%-44s %9.3fs %9.3fs %10.3f   (%ld columns)\n", k.label, inventory, count,
                  inventory / count, columns);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
