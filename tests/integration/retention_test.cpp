// Retention against a real PostgreSQL: the right rows and only those, batches that let
// applications keep writing, crash safety, several workers, partitions, anonymize exactly once,
// broken and hostile rules.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "install.hpp"
#include "lease.hpp"
#include "pg_fixture.hpp"
#include "retention/rule_run.hpp"

namespace anonkit::pg::testing {
namespace {

using namespace std::chrono_literals;

// Cutoffs in these tests are exact: --as-of fixes "now".
constexpr const char* kAsOf = "2026-01-01 00:00:00+00";

class Retention : public PgTest {
 protected:
  void rule(const std::string& name, const std::string& table, const std::string& column,
            const std::string& keep, const std::string& action = "delete",
            std::optional<std::string> mask = std::nullopt,
            std::optional<std::string> filter = std::nullopt) {
    (void)sql(
        "INSERT INTO anonkit.retention_rules (name, table_name, time_column, keep, action, "
        "mask, filter) VALUES ($1, $2, $3, CAST($4 AS interval), $5, CAST($6 AS jsonb), $7)",
        {name, table, column, keep, action, mask, filter});
  }
  // `n` rows per second-offset around the cutoff 2025-12-02 (kAsOf - 30 days).
  void events(int old_rows, int young_rows) {
    (void)sql(
        "CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz NOT NULL, kind text, "
        "email text, age integer)");
    (void)sql("CREATE INDEX ON events (at)");
    (void)sql(
        "INSERT INTO events (at, kind, email, age) SELECT timestamptz '2025-12-02 00:00:00+00' "
        "- (i || ' seconds')::interval, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END, "
        "'user' || i || '@example.com', i % 97 FROM generate_series(1, $1::int) i",
        {std::to_string(old_rows)});
    (void)sql(
        "INSERT INTO events (at, kind, email, age) SELECT timestamptz '2025-12-02 00:00:00+00' "
        "+ (i || ' seconds')::interval, 'a', 'young' || i || '@example.com', 30 "
        "FROM generate_series(0, $1::int - 1) i",
        {std::to_string(young_rows)});
  }
};

TEST_F(Retention, DeletesExactlyThePastRowsAndRespectsTheCutoffAndFilter) {
  events(0, 0);
  // Exactly at the cutoff and one microsecond either side.
  (void)sql(
      "INSERT INTO events (at, kind) VALUES ('2025-12-02 00:00:00+00', 'a'), "
      "('2025-12-01 23:59:59.999999+00', 'a'), ('2025-12-02 00:00:00.000001+00', 'a'), "
      "('2025-12-01 23:59:59.999999+00', 'b'), ('2020-01-01', 'b'), ('2020-01-01', 'a')");
  rule("events-a", "events", "at", "30 days", "delete", std::nullopt, "kind = 'a'");
  (void)sql("CREATE TABLE visits (day date NOT NULL, note text)");
  (void)sql("INSERT INTO visits SELECT date '2025-12-01' + i, 'n' FROM generate_series(-3, 3) i");
  rule("visits", "public.visits", "day", "1 month");  // cutoff 2025-12-01 as a date

  const auto r = worker({"retention", "run", "--as-of", kAsOf});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // Left: the 'a' row at the cutoff and after it, and both old 'b' rows (outside the filter).
  EXPECT_EQ(scalar("SELECT string_agg(kind || '@' || to_char(at AT TIME ZONE 'UTC', "
                   "'YYYY-MM-DD HH24:MI:SS.US'), ', ' ORDER BY at, kind) FROM events"),
            "b@2020-01-01 00:00:00.000000, b@2025-12-01 23:59:59.999999, "
            "a@2025-12-02 00:00:00.000000, a@2025-12-02 00:00:00.000001");
  EXPECT_EQ(scalar("SELECT min(day)::text FROM visits"), "2025-12-01");
  EXPECT_EQ(count("SELECT count(*) FROM visits"), 4);
  EXPECT_EQ(scalar("SELECT string_agg(rule || ':' || status || ':' || rows, ' ' ORDER BY rule) "
                   "FROM anonkit.runs"),
            "events-a:done:2 visits:done:3");
  EXPECT_EQ(scalar("SELECT cutoff::text FROM anonkit.runs WHERE rule = 'events-a'"),
            "2025-12-02 00:00:00+00");
}

TEST_F(Retention, DryRunCountsAndChangesNothing) {
  events(1000, 500);
  rule("events", "events", "at", "30 days");
  rule("anon", "events", "at", "10 days", "anonymize", R"({"email": "email"})");
  const std::string before = checksum("events", "id");
  const auto r = worker({"--json", "retention", "run", "--dry-run", "--as-of", kAsOf});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["rules"][1]["rule"], "events");
  EXPECT_EQ(doc["rules"][1]["rows"], 1000);
  EXPECT_EQ(doc["rules"][1]["oldest"], "2025-12-01 23:43:20+00");
  EXPECT_EQ(doc["rules"][0]["rows"], 1500);  // anon: cutoff 2025-12-22, every row
  EXPECT_EQ(checksum("events", "id"), before);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.retention_cursors"), 0);
}

TEST_F(Retention, ApplicationsKeepWritingDuringARun) {
  events(200000, 1000);
  rule("events", "events", "at", "30 days");
  std::atomic<bool> done{false};
  std::atomic<int> inserted{0}, failed{0};
  double worst_ms = 0;
  std::thread app([&] {
    db::Connection c(dsn);
    while (!done.load()) {
      const auto t0 = std::chrono::steady_clock::now();
      try {
        (void)c.exec("INSERT INTO events (at, kind) VALUES (now(), 'live')");
        (void)c.exec("UPDATE events SET age = age + 1 WHERE id = (SELECT max(id) FROM events)");
        ++inserted;
      } catch (const std::exception&) {
        ++failed;
      }
      worst_ms = std::max(
          worst_ms,
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
  });
  const auto r = worker({"retention", "run", "--as-of", kAsOf, "--batch", "2000"});
  done = true;
  app.join();
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(inserted.load(), 0);
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE kind = 'live'"), inserted.load());
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE at < '2025-12-02'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE kind = 'a' AND at >= '2025-12-02'"), 1000);
  EXPECT_GT(count("SELECT batches FROM anonkit.runs"), 1);
  std::printf("[ info ] %d application writes during the run, slowest %.1f ms\n", inserted.load(),
              worst_ms);
}

// By the time index when few rows are past the cutoff, by block ranges when many are or there is
// no such index: both must leave exactly the same rows.
TEST_F(Retention, IndexAndBlockRangePathsAgree) {
  events(20000, 100000);
  (void)sql("CREATE TABLE events_copy (LIKE events INCLUDING DEFAULTS)");
  (void)sql("INSERT INTO events_copy SELECT * FROM events");
  (void)sql("ALTER TABLE events_copy ADD PRIMARY KEY (id)");
  (void)sql("UPDATE events SET kind = 'c' WHERE id % 7 = 0");
  (void)sql("UPDATE events_copy SET kind = 'c' WHERE id % 7 = 0");
  (void)sql("ANALYZE events");
  (void)sql("ANALYZE events_copy");
  rule("by-index", "events", "at", "30 days", "delete", std::nullopt, "kind <> 'c'");
  rule("by-blocks", "events_copy", "at", "30 days", "delete", std::nullopt, "kind <> 'c'");
  const auto r = worker({"retention", "run", "--as-of", kAsOf, "--target-batch", "20ms"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE at < '2025-12-02' AND kind <> 'c'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM events"), 120000 - (20000 - 20000 / 7));
  EXPECT_EQ(checksum("events", "id"), checksum("events_copy", "id"));
  EXPECT_EQ(count("SELECT count(DISTINCT rows) FROM anonkit.runs"), 1);
}

TEST_F(Retention, KilledMidRunThenRerunFinishesExactly) {
  events(300000, 1000);
  rule("events", "events", "at", "30 days");
  const std::string young = checksum("(SELECT * FROM events WHERE at >= '2025-12-02')", "id");
  auto child = spawn({"retention", "run", "--as-of", kAsOf, "--batch", "500"});
  // Wait until some batches have committed, then kill without warning.
  for (int i = 0; i < 600 && count("SELECT count(*) FROM events") > 301000 - 20000; ++i)
    std::this_thread::sleep_for(10ms);
  child.kill(SIGKILL);
  EXPECT_EQ(child.wait(), 128 + SIGKILL);
  wait_for_worker_backends_to_end();
  const auto left = count("SELECT count(*) FROM events WHERE at < '2025-12-02'");
  EXPECT_LT(left, 300000);
  EXPECT_GT(left, 0) << "the run finished before it could be killed";
  EXPECT_EQ(checksum("(SELECT * FROM events WHERE at >= '2025-12-02')", "id"), young);
  EXPECT_EQ(scalar("SELECT status FROM anonkit.runs"), "running");

  const auto r = worker({"retention", "run", "--as-of", kAsOf});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE at < '2025-12-02'"), 0);
  EXPECT_EQ(checksum("(SELECT * FROM events WHERE at >= '2025-12-02')", "id"), young);
  EXPECT_EQ(scalar("SELECT string_agg(status, ',' ORDER BY id) FROM anonkit.runs"), "failed,done");
  EXPECT_EQ(count("SELECT rows FROM anonkit.runs WHERE status = 'done'"), left);
}

// Every past row's e-mail must be the keyed pseudonym of its original: a row processed twice
// would hold a pseudonym of a pseudonym, a row skipped its original.
class Anonymize : public Retention {
 protected:
  void prepare(int old_rows) {
    events(old_rows, 300);
    (void)sql("ALTER TABLE events ADD COLUMN original text");
    (void)sql("UPDATE events SET original = email");
    rule("anon", "events", "at", "30 days", "anonymize",
         R"({"email": "pseudonym:email", "age": "bucket:10"})");
    key = key_file();
  }
  void expect_exactly_once() {
    EXPECT_EQ(not_masked_once("SELECT original, email FROM events WHERE at < '2025-12-02'", key),
              0);
    EXPECT_EQ(count("SELECT count(*) FROM events WHERE at < '2025-12-02' AND age % 10 <> 0"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM events WHERE at >= '2025-12-02' AND (email <> original "
                    "OR age <> 30)"),
              0);
  }
  std::string key;
};

TEST_F(Anonymize, KilledMidRunEveryRowIsAnonymizedExactlyOnce) {
  prepare(60000);
  auto child =
      spawn({"retention", "run", "--as-of", kAsOf, "--batch", "200"}, {"ANONKIT_KEY_FILE=" + key});
  for (int i = 0; i < 1000 && count("SELECT count(*) FROM events WHERE email <> original") < 5000;
       ++i)
    std::this_thread::sleep_for(10ms);
  child.kill(SIGKILL);
  (void)child.wait();
  wait_for_worker_backends_to_end();
  const auto done = count("SELECT count(*) FROM events WHERE email <> original");
  EXPECT_GT(done, 0);
  EXPECT_LT(done, 60000) << "the run finished before it could be killed";
  const auto r = worker({"--key-file", key, "retention", "run", "--as-of", kAsOf});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_exactly_once();
  // Idempotent: a third run finds nothing to do and changes nothing.
  const std::string after = checksum("events", "id");
  const auto again = worker({"--key-file", key, "retention", "run", "--as-of", kAsOf});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(checksum("events", "id"), after);
  EXPECT_EQ(count("SELECT rows FROM anonkit.runs ORDER BY id DESC LIMIT 1"), 0);
}

TEST_F(Anonymize, TwoWorkersAtOnceDoTheWorkOnce) {
  prepare(40000);
  (void)sql("CREATE TABLE audit_log (id bigserial PRIMARY KEY, at timestamptz NOT NULL)");
  (void)sql(
      "INSERT INTO audit_log (at) SELECT timestamptz '2025-01-01' + (i || ' minutes')::interval "
      "FROM generate_series(1, 600000) i");
  rule("audit", "audit_log", "at", "30 days");
  const std::vector<std::string> env{"ANONKIT_KEY_FILE=" + key};
  auto a = spawn({"retention", "run", "--as-of", kAsOf, "--batch", "300"}, env);
  auto b = spawn({"retention", "run", "--as-of", kAsOf, "--batch", "300"}, env);
  EXPECT_EQ(a.wait(), 0);
  EXPECT_EQ(b.wait(), 0);
  expect_exactly_once();
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE at < '2025-12-02'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log"), 600000 - 482399);
  // Whatever the interleaving, the rows each rule's runs report add up to the work there was.
  EXPECT_EQ(count("SELECT sum(rows) FROM anonkit.runs WHERE rule = 'anon'"), 40000);
  EXPECT_EQ(count("SELECT sum(rows) FROM anonkit.runs WHERE rule = 'audit'"), 482399);
}

// The choice between the two delete ways, alone: by the index only with one and below 30% of
// the leaf's rows past the cutoff.
TEST(DeleteWay, ByTheIndexOnlyWithOneAndFewExpiredRows) {
  using retention::choose_delete_way;
  using retention::DeleteWay;
  EXPECT_EQ(choose_delete_way(true, 0.05), DeleteWay::kByIndex);
  EXPECT_EQ(choose_delete_way(true, 0.29), DeleteWay::kByIndex);
  EXPECT_EQ(choose_delete_way(true, 0.30), DeleteWay::kByBlocks);
  EXPECT_EQ(choose_delete_way(true, 1.0), DeleteWay::kByBlocks);
  EXPECT_EQ(choose_delete_way(false, 0.0), DeleteWay::kByBlocks);
}

// Claims closed at any time; a rule anonymizes closed claims older than five years. The oracle
// is the table's own `original_*` columns and SQL written here, never the worker's planner: every
// eligible row's e-mail is the pseudonym of its original exactly once, its age bucketed, and every
// other row untouched.
class CatchUp : public Retention {
 protected:
  void SetUp() override {
    Retention::SetUp();
    (void)sql(
        "CREATE TABLE claims (id bigint PRIMARY KEY, at timestamptz NOT NULL, status text NOT "
        "NULL, email text, original text, age integer, original_age integer, phone text, note "
        "text)");
    // Ties: 2,400 claims share eight time values, and ids 1..2400 sort differently as text and
    // as numbers (a keyset ordered by the text of the id passes rows over at a batch boundary).
    // Two of the times straddle New York's 2019 fall-back: in that zone their texts sort the
    // other way round than the times.
    (void)sql(
        "INSERT INTO claims SELECT i, (ARRAY[timestamptz '2019-11-03 05:50:00+00', "
        "'2019-11-03 06:10:00+00', '2018-01-01', '2019-06-30 12:00:00+03', '2020-02-29', "
        "'2020-12-31 23:59:59.999999+00', '2025-06-01', '2025-12-01'])[1 + i % 8], "
        "CASE WHEN i % 3 = 0 THEN 'open' ELSE 'closed' END, 'c' || i || '@example.org', "
        "'c' || i || '@example.org', 20 + i % 50, 20 + i % 50, '+2547' || (10000000 + i), "
        "'n' FROM generate_series(1, 2400) i");
    rule("claims", "claims", "at", "5 years", "anonymize",
         R"({"email": "pseudonym:email", "age": "bucket:10"})", "status = 'closed'");
    key = key_file();
    env = {"ANONKIT_KEY_FILE=" + key,
           "PGOPTIONS=-c TimeZone=America/New_York -c DateStyle=SQL,DMY "
           "-c IntervalStyle=sql_standard"};
  }
  Outcome run(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"retention", "run", "--as-of", kAsOf, "--batch", "100"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = worker(args, env);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r;
  }
  std::int64_t last_rows() {
    return count("SELECT rows FROM anonkit.runs ORDER BY id DESC LIMIT 1");
  }
  // Rows that are wrong now: eligible ones not pseudonymized exactly once or not bucketed, others
  // changed at all.
  std::int64_t wrong(bool with_phone = false) {
    const std::string eligible = "at < timestamptz '2021-01-01 00:00:00+00' AND status = 'closed'";
    std::int64_t bad = not_masked_once("SELECT original, email FROM claims WHERE " + eligible, key);
    bad += count("SELECT count(*) FROM claims WHERE " + eligible +
                 " AND age IS DISTINCT FROM original_age / 10 * 10");
    if (with_phone)
      bad += count("SELECT count(*) FROM claims WHERE " + eligible + " AND phone IS NOT NULL");
    bad += count("SELECT count(*) FROM claims WHERE NOT (" + eligible +
                 ") AND (email IS DISTINCT FROM original OR age IS DISTINCT FROM original_age "
                 "OR phone IS NULL)");
    return bad;
  }
  std::string key;
  std::vector<std::string> env;
};

TEST_F(CatchUp, EveryRowEligibleAtTheCutoffIsAnonymizedOnceWhenItBecameEligible) {
  const auto eligible = [&] {
    return count(
        "SELECT count(*) FROM claims WHERE at < '2021-01-01 00:00:00+00' AND status = 'closed'");
  };
  const auto first = eligible();
  ASSERT_GT(first, 1000);
  EXPECT_GT(wrong(), 0) << "negative control: the oracle sees rows not yet anonymized";
  run();
  EXPECT_EQ(wrong(), 0);
  EXPECT_EQ(last_rows(), first);

  // Behind the cursor now: old claims closed today, back-dated imports, an anonymized claim whose
  // note the application edits (must not be pseudonymized twice) and one whose e-mail it rewrites
  // with a real address again (must be masked again).
  (void)sql(
      "UPDATE claims SET status = 'closed' WHERE status = 'open' AND id % 9 = 0 AND at < "
      "'2021-01-01'");
  (void)sql(
      "INSERT INTO claims SELECT 100000 + i, timestamptz '2018-01-01' + (i || ' hours')::interval, "
      "'closed', 'b' || i || '@example.org', 'b' || i || '@example.org', 33, 33, '+254700000000', "
      "'n' FROM generate_series(1, 150) i");
  (void)sql(
      "UPDATE claims SET note = 'edited' WHERE id IN (SELECT id FROM claims WHERE status = "
      "'closed' AND at < '2021-01-01' AND id % 9 <> 0 ORDER BY id LIMIT 40)");
  (void)sql(
      "UPDATE claims SET email = 'again@example.org', original = 'again@example.org' WHERE "
      "id = (SELECT min(id) FROM claims WHERE status = 'closed' AND at < '2021-01-01' AND "
      "id % 9 <> 0)");
  const auto newly = eligible() - first;
  ASSERT_GT(newly, 150);
  EXPECT_GE(wrong(), newly + 1)
      << "negative control: each newly eligible row and the rewritten one have a wrong e-mail";

  // The dry run reports what the run then does, and changes nothing.
  const std::string before = checksum("claims", "id");
  run({"--dry-run"});
  EXPECT_EQ(last_rows(), newly + 1);
  EXPECT_EQ(checksum("claims", "id"), before);
  run();
  EXPECT_EQ(last_rows(), newly + 1);
  EXPECT_EQ(wrong(), 0);

  // Nothing changed since: the next run re-checks nothing it need not and writes nothing.
  const std::string settled = checksum("claims", "id");
  run();
  EXPECT_EQ(last_rows(), 0);
  EXPECT_EQ(checksum("claims", "id"), settled);

  // The rule gains a column: every eligible row behind the cursor gets it, no e-mail is
  // pseudonymized again.
  (void)sql(
      R"(UPDATE anonkit.retention_rules SET mask = '{"email": "pseudonym:email", "age": "bucket:10", "phone": "null"}')");
  run();
  EXPECT_EQ(last_rows(), eligible());
  EXPECT_EQ(wrong(/*with_phone=*/true), 0);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.retention_ledger"), eligible())
      << "one ledger cell per pseudonymized e-mail";
  // The rule dropped (its cursor with it) and created again: every row is checked from the start,
  // none pseudonymized twice (the ledger belongs to the cells).
  (void)sql("DELETE FROM anonkit.retention_rules");
  rule("claims", "claims", "at", "5 years", "anonymize",
       R"({"email": "pseudonym:email", "age": "bucket:10", "phone": "null"})", "status = 'closed'");
  run();
  EXPECT_EQ(last_rows(), 0);
  EXPECT_EQ(wrong(/*with_phone=*/true), 0);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.retention_ledger l, claims c WHERE "
                  "position(convert_to(c.original, 'UTF8') IN l.cell) > 0 OR "
                  "position(convert_to(c.original, 'UTF8') IN l.written) > 0"),
            0);
}

// A rule's lease: skipped while a live worker holds it (on this machine: its process runs; on
// another: until the lease expires), taken at once from a holder on this machine whose process is
// gone, and from an expired one.
// The catch-up's own edges: a cursor from before the ledger (an upgrade) must not pseudonymize
// again; a filter that looks at other rows makes rows eligible without writing them; a run whose
// cutoff is before the cursor must not forget what changed behind it; a json column masked to
// NULL has no '=' operator.
TEST_F(CatchUp, UpgradesOtherRowsFiltersEarlierCutoffsAndTypesWithoutEquality) {
  (void)sql("ALTER TABLE claims ADD COLUMN extra json DEFAULT '{\"a\": 1}'");
  (void)sql(
      R"(UPDATE anonkit.retention_rules SET mask = '{"email": "pseudonym:email", "age": "bucket:10", "extra": "null"}')");
  run();
  EXPECT_EQ(wrong(), 0);
  EXPECT_EQ(count("SELECT count(*) FROM claims WHERE extra IS NOT NULL AND at < '2021-01-01' "
                  "AND status = 'closed'"),
            0);
  // As an older anonkit left it: a cursor without horizon, no ledger.
  (void)sql("UPDATE anonkit.retention_cursors SET horizon = NULL, rule_digest = NULL");
  (void)sql("DELETE FROM anonkit.retention_ledger");
  const std::string before = checksum("claims", "id");
  run();
  EXPECT_EQ(last_rows(), 0);
  EXPECT_EQ(checksum("claims", "id"), before) << "nothing pseudonymized twice";
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.runs WHERE notes LIKE '%predate the ledger%'"), 1);
  EXPECT_EQ(wrong(), 0);

  // An earlier cutoff (before the cursor), while the application writes a real address back
  // into an old anonymized claim: that run does not reach it, and must not forget it.
  (void)sql(
      "UPDATE claims SET email = 'back@example.org', original = 'back@example.org' WHERE id "
      "= (SELECT min(id) FROM claims WHERE status = 'closed' AND at = '2020-12-31 "
      "23:59:59.999999+00')");
  auto early = worker({"retention", "run", "--as-of", "2025-06-01 00:00:00+00"}, env);
  EXPECT_EQ(early.exit_code, 0) << early.out << early.err;
  EXPECT_NE(early.out.find("the cutoff is before the cursor"), std::string::npos) << early.out;
  EXPECT_EQ(wrong(), 1);
  run();
  EXPECT_EQ(wrong(), 0) << "the next run with the cutoff past the cursor re-checks it";

  // A filter over other rows: claims become eligible when listed elsewhere, unwritten.
  (void)sql("CREATE TABLE settled (id bigint PRIMARY KEY)");
  (void)sql(
      "UPDATE anonkit.retention_rules SET filter = 'status = ''closed'' OR id IN (SELECT id "
      "FROM settled)'");
  run();
  (void)sql(
      "INSERT INTO settled SELECT id FROM claims WHERE status = 'open' AND at < "
      "'2021-01-01' AND id % 5 = 0");
  const auto listed = count("SELECT count(*) FROM settled");
  ASSERT_GT(listed, 10);
  run();
  EXPECT_EQ(last_rows(), listed);
  EXPECT_EQ(count("SELECT count(*) FROM claims c JOIN settled s USING (id) WHERE c.email = "
                  "c.original"),
            0);
}

TEST_F(Retention, ALeaseHeldByALiveWorkerIsRespectedAndADeadOnesIsTakenAtOnce) {
  events(100, 0);
  rule("events", "events", "at", "30 days");
  const auto& me = ProcessIdentity::self();
  const auto hold = [&](const std::string& host, const std::string& machine, std::int64_t pid,
                        const std::string& started, const std::string& expires) {
    (void)sql("DELETE FROM anonkit.leases");
    (void)sql(
        "INSERT INTO anonkit.leases (resource, token, host, machine, pid, started, expires_at) "
        "SELECT 'retention:' || id, 'held', $1, $2, CAST($3 AS bigint), $4, CAST($5 AS "
        "timestamptz) FROM anonkit.retention_rules WHERE name = 'events'",
        {host, machine, std::to_string(pid), started, expires});
  };
  const auto run = [&] {
    auto r = worker({"retention", "run", "--as-of", kAsOf});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r;
  };
  // This test process holds it: alive.
  hold(me.host, me.machine, me.pid, me.started, "2999-01-01");
  auto r = run();
  EXPECT_NE(r.out.find(fmt::format("host {} pid {}", me.host, me.pid)), std::string::npos) << r.out;
  EXPECT_EQ(count("SELECT count(*) FROM events"), 100);
  EXPECT_EQ(scalar("SELECT status FROM anonkit.runs ORDER BY id DESC LIMIT 1"), "skipped");
  // Another machine's live lease.
  hold("elsewhere", "other-boot/pid:[1]", 4242, "1", "2999-01-01");
  r = run();
  EXPECT_NE(r.out.find("host elsewhere pid 4242"), std::string::npos) << r.out;
  EXPECT_EQ(count("SELECT count(*) FROM events"), 100);
  // A process of this machine that has ended (or whose pid now names another process).
  auto gone = spawn({"--version"});
  const pid_t gone_pid = gone.pid();
  (void)gone.wait();
  hold(me.host, me.machine, gone_pid, "12345", "2999-01-01");
  r = run();
  EXPECT_EQ(count("SELECT count(*) FROM events"), 0) << r.out;
  EXPECT_EQ(scalar("SELECT status FROM anonkit.runs ORDER BY id DESC LIMIT 1"), "done");
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.leases"), 0) << "released after the run";
  // Expired, from anywhere.
  (void)sql("INSERT INTO events (at) SELECT '2020-01-01' FROM generate_series(1, 10)");
  hold("elsewhere", "other-boot/pid:[1]", 4242, "1", "2000-01-01");
  r = run();
  EXPECT_EQ(count("SELECT count(*) FROM events"), 0) << r.out;
  // Rule ids past 2^31 (the advisory lock key was an integer).
  (void)sql("INSERT INTO events (at) SELECT '2020-01-01' FROM generate_series(1, 10)");
  (void)sql("DELETE FROM anonkit.retention_rules");
  (void)sql("ALTER TABLE anonkit.retention_rules ALTER COLUMN id RESTART WITH 5000000000");
  rule("events", "events", "at", "30 days");
  r = run();
  EXPECT_EQ(count("SELECT count(*) FROM events"), 0) << r.out;
}

// What systemd's Restart= does: kill -9, and the next worker starts at once, while the killed
// one's backend may still be running its statement. Three times, then a run to the end: every
// expired row gone, every young row intact, no run skipped.
TEST_F(Retention, KilledAndRestartedAtOnceThreeTimesFinishesTheWork) {
  events(400000, 1000);
  rule("events", "events", "at", "30 days");
  const std::string young = checksum("(SELECT * FROM events WHERE at >= '2025-12-02')", "id");
  std::int64_t before = count("SELECT count(*) FROM events");
  for (int round = 0; round < 3; ++round) {
    auto child = spawn({"retention", "run", "--as-of", kAsOf, "--batch", "2000"});
    for (int i = 0; i < 1000 && count("SELECT count(*) FROM events") > before - 20000; ++i)
      std::this_thread::sleep_for(5ms);
    child.kill(SIGKILL);
    EXPECT_EQ(child.wait(), 128 + SIGKILL);
    const auto now = count("SELECT count(*) FROM events");
    EXPECT_LT(now, before) << "round " << round << " made no progress";
    EXPECT_GT(now, 1000) << "round " << round << " finished before it could be killed";
    before = now;
  }
  const auto r = worker({"retention", "run", "--as-of", kAsOf});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("skipped"), std::string::npos) << r.out;
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE at < '2025-12-02'"), 0);
  EXPECT_EQ(checksum("(SELECT * FROM events WHERE at >= '2025-12-02')", "id"), young);
  EXPECT_EQ(scalar("SELECT string_agg(status, ',' ORDER BY id) FROM anonkit.runs"),
            "failed,failed,failed,done");
}

// Deleting an expired parent must not take younger children with it unseen: a cascading foreign
// key fails the rule (nothing deleted) until the rule allows it; a DELETE trigger that copies rows
// into a history table is named in the run's notes and by doctor.
TEST_F(Retention, CascadesToYoungChildrenNeedConsentAndDeleteTriggersAreNamed) {
  (void)sql("CREATE TABLE policies (id int PRIMARY KEY, at timestamptz NOT NULL)");
  (void)sql(
      "CREATE TABLE claims (id int PRIMARY KEY, policy int REFERENCES policies ON DELETE "
      "CASCADE, at timestamptz NOT NULL)");
  (void)sql("INSERT INTO policies SELECT i, '2020-01-01' FROM generate_series(1, 50) i");
  (void)sql("INSERT INTO claims SELECT i, i, '2025-12-30' FROM generate_series(1, 50) i");
  rule("policies", "policies", "at", "30 days");
  auto r = worker({"retention", "run", "--as-of", kAsOf});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("changes rows of claims (constraint claims_policy_fkey, ON DELETE "
                       "CASCADE)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(count("SELECT count(*) FROM policies"), 50);
  EXPECT_EQ(count("SELECT count(*) FROM claims"), 50);
  auto d = worker({"doctor"});
  EXPECT_NE(d.out.find("ON DELETE CASCADE"), std::string::npos) << d.out;

  // A history trigger, and the rule's consent to cascade.
  (void)sql("CREATE TABLE policies_history (LIKE policies)");
  (void)sql(
      "CREATE FUNCTION keep_policy() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO "
      "policies_history SELECT OLD.*; RETURN OLD; END $$");
  (void)sql(
      "CREATE TRIGGER policies_history AFTER DELETE ON policies FOR EACH ROW EXECUTE FUNCTION "
      "keep_policy()");
  d = worker({"doctor"});
  EXPECT_NE(d.out.find("DELETE trigger policies_history on policies"), std::string::npos) << d.out;
  (void)sql("UPDATE anonkit.retention_rules SET may_cascade = true");
  r = worker({"retention", "run", "--as-of", kAsOf});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("note: DELETE trigger policies_history on policies"), std::string::npos)
      << r.out;
  EXPECT_EQ(count("SELECT count(*) FROM policies"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM claims"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.runs WHERE status = 'done' AND notes LIKE "
                  "'%cascades to claims%' AND notes LIKE '%policies_history%'"),
            1);
  // A rule on one partition of a referenced table cascades through its parent's foreign key.
  (void)sql(
      "CREATE TABLE accounts (id int, at timestamptz NOT NULL, PRIMARY KEY (id, at)) "
      "PARTITION BY RANGE (at)");
  (void)sql(
      "CREATE TABLE accounts_2020 PARTITION OF accounts FOR VALUES FROM ('2020-01-01') TO "
      "('2021-01-01')");
  (void)sql(
      "CREATE TABLE statements (id int PRIMARY KEY, account int, account_at timestamptz, "
      "FOREIGN KEY (account, account_at) REFERENCES accounts ON DELETE CASCADE)");
  (void)sql("DELETE FROM anonkit.retention_rules");
  rule("accounts_2020", "accounts_2020", "at", "30 days");
  r = worker({"retention", "run", "--as-of", kAsOf});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.out.find("changes rows of statements"), std::string::npos) << r.out;
}

// A bulk load autovacuum has not analysed yet: no statistics, so the share of expired rows is
// measured on a sample, not guessed. Most rows expired: by block range; few: by the index. Either
// way exactly the expired rows go.
TEST_F(Retention, TablesWithoutStatisticsAreMeasuredNotGuessed) {
  for (const auto& [table, old_share] : {std::pair{"bulk_most", 70}, std::pair{"bulk_few", 4}}) {
    (void)sql(
        fmt::format("CREATE TABLE {} (id bigint, at timestamptz NOT NULL, payload text) WITH "
                    "(autovacuum_enabled = false)",
                    table));
    (void)sql(fmt::format("CREATE INDEX ON {} (at)", table));
    (void)sql(fmt::format(
        "INSERT INTO {} SELECT i, CASE WHEN i % 100 < {} THEN timestamptz '2020-01-01' + (i % "
        "1000 || ' minutes')::interval ELSE '2025-12-20' END, md5(i::text) FROM "
        "generate_series(1, 200000) i",
        table, old_share));
    EXPECT_EQ(count(fmt::format("SELECT count(*) FROM pg_stats WHERE tablename = '{}'", table)), 0);
    rule(table, table, "at", "30 days");
  }
  const std::string young = checksum("(SELECT * FROM bulk_most WHERE at >= '2025-12-02')", "id") +
                            checksum("(SELECT * FROM bulk_few WHERE at >= '2025-12-02')", "id");
  const auto r = worker({"retention", "run", "--as-of", kAsOf, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["rules"].size(), 2U);
  EXPECT_EQ(doc["rules"][0]["rule"], "bulk_few");
  const std::string few = doc["rules"][0]["strategies"][0];
  const std::string most = doc["rules"][1]["strategies"][0];
  EXPECT_NE(few.find("by the time index"), std::string::npos) << few;
  EXPECT_NE(few.find("sampled"), std::string::npos) << few;
  EXPECT_NE(most.find("by block range"), std::string::npos) << most;
  EXPECT_NE(most.find("sampled"), std::string::npos) << most;
  EXPECT_EQ(doc["rules"][0]["rows"], 8000);
  EXPECT_EQ(doc["rules"][1]["rows"], 140000);
  EXPECT_EQ(count("SELECT count(*) FROM bulk_most WHERE at < '2025-12-02'") +
                count("SELECT count(*) FROM bulk_few WHERE at < '2025-12-02'"),
            0);
  EXPECT_EQ(checksum("(SELECT * FROM bulk_most WHERE at >= '2025-12-02')", "id") +
                checksum("(SELECT * FROM bulk_few WHERE at >= '2025-12-02')", "id"),
            young);
}

// The systemd units in the repository, run as systemd would run them: their ExecStart command
// lines against this database (the state directory replaced by a temporary one). The service
// stops cleanly on SIGTERM, and after kill -9 its immediate restart (Restart=on-failure) does the
// work at once.
std::vector<std::string> unit_command(const std::string& unit, std::string& text) {
  std::ifstream in(std::string(ANONKIT_SOURCE_DIR) + "/pg_worker/systemd/" + unit);
  std::stringstream all;
  all << in.rdbuf();
  text = all.str();
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind("ExecStart=", 0) == 0) {
      std::istringstream words(line.substr(10));
      std::vector<std::string> argv;
      for (std::string w; words >> w;) argv.push_back(w);
      return argv;
    }
  return {};
}

TEST_F(Retention, TheSystemdUnitsCommandLinesDoTheirJobs) {
  std::string service, oneshot, timer;
  auto daemon = unit_command("anonkit-worker.service", service);
  const auto run = unit_command("anonkit-retention.service", oneshot);
  (void)unit_command("anonkit-retention.timer", timer);
  ASSERT_GE(daemon.size(), 2U);
  ASSERT_GE(run.size(), 2U);
  EXPECT_EQ(daemon[0], "/usr/bin/anonkit-worker");
  EXPECT_NE(service.find("\nRestart=on-failure\n"), std::string::npos);
  EXPECT_NE(oneshot.find("\nType=oneshot\n"), std::string::npos);
  EXPECT_NE(timer.find("\nOnCalendar="), std::string::npos);
  if (std::system("command -v systemd-analyze >/dev/null 2>&1") == 0) {
    // Only the binary's absence from /usr/bin may be reported.
    const std::string cmd = std::string("cd ") + ANONKIT_SOURCE_DIR +
                            "/pg_worker/systemd && systemd-analyze verify --man=no "
                            "./anonkit-worker.service ./anonkit-retention.service "
                            "./anonkit-retention.timer 2>&1 | grep -v 'is not executable' | "
                            "grep -q .";
    EXPECT_NE(std::system(cmd.c_str()), 0) << "systemd-analyze verify complains";
  }

  events(3000, 10);
  rule("events", "events", "at", "30 days");
  const auto r = worker(std::vector<std::string>(run.begin() + 1, run.end()));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE at < now() - interval '30 days'"), 0);

  char dir[] = "/tmp/ak-state-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  for (auto& w : daemon)
    if (w == "/var/lib/anonkit") w = dir;
  const std::vector<std::string> args(daemon.begin() + 1, daemon.end());
  const auto wait_for_runs = [&](std::int64_t n) {
    for (int i = 0; i < 500 && count("SELECT count(*) FROM anonkit.runs WHERE status = 'done'") < n;
         ++i)
      std::this_thread::sleep_for(20ms);
    return count("SELECT count(*) FROM anonkit.runs WHERE status = 'done'");
  };
  (void)sql("INSERT INTO events (at) SELECT '2020-01-01' FROM generate_series(1, 100)");
  auto a = spawn(args, {"ANONKIT_KEY_FILE=" + key_file()});
  EXPECT_GE(wait_for_runs(2), 2);
  a.kill(SIGKILL);
  EXPECT_EQ(a.wait(), 128 + SIGKILL);
  (void)sql("INSERT INTO events (at) SELECT '2020-01-01' FROM generate_series(1, 100)");
  auto b = spawn(args, {"ANONKIT_KEY_FILE=" + key_file()});  // systemd restarts it
  EXPECT_GE(wait_for_runs(3), 3);
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE at < now() - interval '30 days'"), 0);
  b.kill(SIGTERM);  // systemctl stop
  EXPECT_EQ(b.wait(), 0);
  rmdir(dir);
}

// A rule that fails on a row's data: PostgreSQL's DETAIL names the row's values (`Key (email,
// name)=(...)`, `Failing row contains (...)`). None of them may reach anonkit.runs, the summary,
// stderr (cron mail) or status.
TEST_F(Retention, ErrorsFromRowDataCarryNoRowValues) {
  (void)sql(
      "CREATE TABLE members (id int PRIMARY KEY, at timestamptz NOT NULL, email text, name text, "
      "age int CHECK (age IS NULL OR age >= 18), UNIQUE (email, name))");
  (void)sql(
      "INSERT INTO members VALUES (1, '2020-01-01', 'wanjiru.kamau@example.org', 'Wanjiru Kamau', "
      "30), (2, '2020-01-02', 'wanjiru.kamau@example.org', 'Wairimu Karanja', 31), (3, "
      "'2020-01-03', 'otieno.achieng@example.org', 'Otieno Achieng', 19)");
  rule("names", "members", "at", "30 days", "anonymize", R"({"name": "name"})");
  rule("ages", "members", "at", "30 days", "anonymize", R"({"age": "bucket:10"})");
  const auto r = worker({"retention", "run", "--as-of", kAsOf, "--batch", "10"});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const auto status = worker({"status"});
  const auto status_json = worker({"status", "--json"});
  const std::string errors = scalar(
      "SELECT coalesce(string_agg(coalesce(error, '') || coalesce(notes, ''), '|'), '') "
      "FROM anonkit.runs");
  EXPECT_NE(errors.find("unique constraint"), std::string::npos) << errors;
  EXPECT_NE(errors.find("check constraint"), std::string::npos) << errors;
  for (const std::string& text : {r.out, r.err, status.out, status.err, status_json.out, errors})
    for (const std::string value :
         {"wanjiru", "Wanjiru", "Kamau", "otieno", "Achieng", "W. K.", "(1,", "(3,", "=("})
      EXPECT_EQ(text.find(value), std::string::npos) << value << " in: " << text;
}

TEST_F(Retention, DropsPartitionsWhollyPastTheCutoffAndBatchesTheBoundary) {
  (void)sql(
      "CREATE TABLE readings (id bigint NOT NULL, at timestamptz NOT NULL, v integer, "
      "PRIMARY KEY (id, at)) PARTITION BY RANGE (at)");
  for (int m = 9; m <= 12; ++m)
    (void)sql(
        fmt::format("CREATE TABLE readings_2025_{0:02d} PARTITION OF readings FOR VALUES "
                    "FROM ('2025-{0:02d}-01 00:00:00+00') TO ('{1}-{2:02d}-01 00:00:00+00')",
                    m, m == 12 ? 2026 : 2025, m == 12 ? 1 : m + 1));
  (void)sql("CREATE TABLE readings_default PARTITION OF readings DEFAULT");
  (void)sql(
      "INSERT INTO readings SELECT i, timestamptz '2025-09-01 00:00:00+00' + "
      "(i || ' minutes')::interval, i FROM generate_series(0, 122 * 1440 - 1) i");
  (void)sql("INSERT INTO readings VALUES (-1, '2024-01-01', 0), (-2, '2027-01-01', 0)");
  rule("readings", "readings", "at", "45 days");  // cutoff 2025-11-17 00:00 UTC
  const auto expect_left =
      count("SELECT count(*) FROM readings WHERE at >= '2025-11-17 00:00:00+00'");
  const auto dry = worker({"retention", "run", "--dry-run", "--as-of", kAsOf});
  EXPECT_NE(dry.out.find("partition public.readings_2025_09 would be dropped"), std::string::npos)
      << dry.out;
  const auto r = worker({"--json", "retention", "run", "--as-of", kAsOf});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["rules"][0]["partitions_dropped"], 2);
  EXPECT_EQ(doc["rules"][0]["partitions"],
            nlohmann::json::array({"public.readings_2025_09", "public.readings_2025_10"}));
  // Dropped, not merely detached: the tables are gone.
  EXPECT_EQ(count("SELECT count(*) FROM pg_class WHERE relname IN ('readings_2025_09', "
                  "'readings_2025_10')"),
            0);
  EXPECT_EQ(count("SELECT count(*) FROM readings WHERE at < '2025-11-17 00:00:00+00'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM readings"), expect_left);
  EXPECT_EQ(count("SELECT count(*) FROM readings_default"), 1);  // the 2027 row stays
}

TEST_F(Retention, BrokenRulesFailAloneWithClearMessages) {
  events(1000, 10);
  (void)sql("CREATE TABLE notes (id serial PRIMARY KEY, at text, body text NOT NULL)");
  rule("good", "events", "at", "30 days", "delete", std::nullopt, "kind = 'b'");
  rule("no-table", "nosuch", "at", "30 days");
  rule("no-column", "events", "created", "30 days");
  rule("text-time", "notes", "at", "30 days");
  rule("bad-mask", "events", "at", "30 days", "anonymize", R"({"email": "emial"})");
  rule("mask-column", "events", "at", "30 days", "anonymize", R"({"mail": "email"})");
  rule("mask-type", "events", "at", "30 days", "anonymize", R"({"age": "email"})");
  rule("needs-key", "events", "at", "30 days", "anonymize", R"({"email": "pseudonym"})");
  rule("bad-filter", "events", "at", "30 days", "delete", std::nullopt, "kind = ");
  rule("not-boolean", "events", "at", "30 days", "delete", std::nullopt, "age + 1");
  const auto r = worker({"--json", "retention", "run", "--as-of", kAsOf});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  std::map<std::string, std::string> errors;
  for (const auto& o : doc["rules"]) errors[o["rule"]] = o.value("error", "");
  EXPECT_EQ(errors["good"], "");
  EXPECT_EQ(errors["no-table"], "anonkit: rule 'no-table': table 'nosuch' does not exist");
  EXPECT_EQ(
      errors["no-column"],
      "anonkit: rule 'no-column': time column 'created' does not exist in table public.events");
  EXPECT_NE(errors["text-time"].find("expected timestamptz, timestamp or date"), std::string::npos);
  EXPECT_NE(errors["bad-mask"].find("unknown mask strategy 'emial'"), std::string::npos);
  EXPECT_NE(errors["mask-column"].find("mask column 'mail' does not exist"), std::string::npos);
  EXPECT_NE(errors["mask-type"].find("cannot be written into column age of type integer"),
            std::string::npos);
  EXPECT_NE(errors["needs-key"].find("needs a key"), std::string::npos);
  EXPECT_NE(errors["bad-filter"].find("filter is not a valid condition"), std::string::npos);
  EXPECT_NE(errors["not-boolean"].find("must be type boolean"), std::string::npos);
  for (const auto& [rule_name, error] : errors) {
    if (rule_name != "good") {
      EXPECT_EQ(error.rfind("anonkit: rule '" + rule_name + "': ", 0), 0u) << error;
    }
  }
  // The good rule ran; nothing else was touched.
  EXPECT_EQ(count("SELECT count(*) FROM events"), 510);
  EXPECT_EQ(count("SELECT count(*) FROM events WHERE email NOT LIKE '%@example.com'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.runs WHERE status = 'failed'"), 9);
}

TEST_F(Retention, HostileRuleTextIsNeverExecuted) {
  events(100, 0);
  (void)sql("CREATE TABLE victims (id int)");
  (void)sql("INSERT INTO victims VALUES (1)");
  (void)sql(
      "CREATE TABLE \"Odd \"\"Name\"\"\" (id serial PRIMARY KEY, \"At; x\" timestamptz NOT NULL)");
  (void)sql("INSERT INTO \"Odd \"\"Name\"\"\" (\"At; x\") VALUES ('2020-01-01'), (now())");
  rule("x'); DROP TABLE victims; --", "events", "at", "30 days");  // a name is only ever bound
  rule("t1", "events; DROP TABLE victims", "at", "30 days");
  rule("t2", "events", "at\" < now(); DROP TABLE victims; --", "30 days");
  rule("t3", "events", "at", "30 days", "delete", std::nullopt, "true) OR (true");
  rule("t4", "events", "at", "30 days", "delete", std::nullopt, "true; DROP TABLE victims");
  rule("t5", "events", "at", "30 days", "delete", std::nullopt, "true -- ");
  rule("t6", "events", "at", "30 days", "delete", std::nullopt, "id = $1");
  rule("t7", "events", "at", "30 days", "anonymize",
       R"({"email = 'x'; DROP TABLE victims; --": "redact"})");
  rule("odd", "\"Odd \"\"Name\"\"\"", "At; x", "30 days");
  const auto r = worker({"--json", "retention", "run", "--as-of", kAsOf});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_EQ(count("SELECT count(*) FROM victims"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.runs WHERE status = 'failed'"), 7);
  EXPECT_EQ(count("SELECT count(*) FROM events"), 0);  // the first rule, under its odd name
  EXPECT_EQ(count("SELECT count(*) FROM \"Odd \"\"Name\"\"\""), 1);
}

TEST_F(Retention, DaemonRunsOnItsIntervalAndStopsOnSigterm) {
  events(50, 0);
  rule("events", "events", "at", "30 days");
  auto child = spawn({"daemon", "--interval", "300ms"});
  for (int i = 0; i < 500 && count("SELECT count(*) FROM anonkit.runs WHERE status = 'done'") < 2;
       ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_GE(count("SELECT count(*) FROM anonkit.runs WHERE status = 'done'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM events"), 0);
  child.kill(SIGTERM);
  EXPECT_EQ(child.wait(), 0);
}

TEST_F(Retention, StatusAndDoctorSayWhatTheySee) {
  events(100, 10);
  (void)sql("CREATE TABLE customers (id int PRIMARY KEY)");
  (void)sql(
      "CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, "
      "placed timestamptz NOT NULL)");
  rule("events", "events", "at", "30 days");
  rule("orders", "orders", "placed", "7 years");
  const auto status = worker({"--json", "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto doc = nlohmann::json::parse(status.out);
  EXPECT_EQ(doc["rules"][0]["rule"], "events");
  EXPECT_EQ(doc["rules"][0]["backlog"], 110);  // by the real clock every row is past 30 days
  EXPECT_TRUE(doc["rules"][0]["last_status"].is_null());
  const auto doctor = worker({"doctor"});
  EXPECT_EQ(doctor.exit_code, 3);
  EXPECT_NE(doctor.out.find("no index leads with time column placed"), std::string::npos)
      << doctor.out;
  EXPECT_NE(doctor.out.find("foreign key orders_customer_id_fkey (customer_id) has no index"),
            std::string::npos)
      << doctor.out;
  EXPECT_EQ(doctor.out.find("rule events"), std::string::npos) << doctor.out;
}

class Install : public PgTest {
 protected:
  bool install() const override { return false; }
};

TEST_F(Install, IsIdempotentAndUpgradesFromAnOlderVersion) {
  const auto before = worker({"status"});
  EXPECT_EQ(before.exit_code, 2);
  EXPECT_NE(before.err.find("schema anonkit is not installed"), std::string::npos) << before.err;
  auto r = worker({"install", "--target-version", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(scalar("SELECT to_regclass('anonkit.retention_cursors') IS NULL"), "t");
  const auto old = worker({"retention", "run"});
  EXPECT_EQ(old.exit_code, 2);
  EXPECT_NE(old.err.find("is at version 1"), std::string::npos) << old.err;
  r = worker({"install"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, fmt::format("schema anonkit: version 1 -> {}\n", latest_schema_version()));
  r = worker({"install"});
  EXPECT_EQ(r.out, fmt::format("schema anonkit is at version {}: nothing to do\n",
                               latest_schema_version()));
  EXPECT_EQ(count("SELECT count(*) FROM anonkit.schema_version"), latest_schema_version());
  EXPECT_EQ(worker({"retention", "run"}).exit_code, 0);
}

TEST_F(Install, BadConnectionAndUsageHaveTheirExitCodes) {
  const auto down = worker({"ping"}, {"PGHOST=127.0.0.1", "PGPORT=1"});
  EXPECT_EQ(down.exit_code, 2);
  EXPECT_EQ(down.err.rfind("anonkit: could not connect to PostgreSQL", 0), 0u) << down.err;
  EXPECT_EQ(worker({"retention", "walk"}).exit_code, 1);
  EXPECT_EQ(worker({"daemon", "--interval", "soon"}).exit_code, 1);
  const auto key = worker({"--key-file", "/nonexistent/key", "install"});
  EXPECT_EQ(key.exit_code, 1);
  EXPECT_EQ(key.err.rfind("anonkit: ", 0), 0u) << key.err;
}

}  // namespace
}  // namespace anonkit::pg::testing
