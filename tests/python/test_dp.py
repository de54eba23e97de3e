"""The DP aggregates through Python's sqlite3 loading the built extension: one person's influence
bounded by the privacy unit, empty inputs released and charged like any other, parameters read
from the statement's text, and statistical checks whose false-failure rates are stated."""
import json
import math
import os
import sqlite3
import unittest

EXTENSION = os.environ.get("ANONKIT_EXTENSION", "../../build/anonkit.so")


def connect(path=":memory:"):
    conn = sqlite3.connect(path)
    conn.enable_load_extension(True)
    conn.load_extension(os.path.splitext(os.path.abspath(EXTENSION))[0])
    conn.enable_load_extension(False)
    return conn


def spent(db):
    return json.loads(db.execute("select anonkit_budget('main')").fetchone()[0])["spent"]


def mean(xs):
    return sum(xs) / len(xs)


class PrivacyUnitTest(unittest.TestCase):
    """D: 100 members with one claim each; D': D plus one member with 1,000 claims."""

    def setUp(self):
        self.d = connect()
        self.d.execute("create table claims(member, amount)")
        self.d.executemany("insert into claims values (?, 50)", [(m,) for m in range(100)])
        self.d2 = connect()
        self.d2.execute("create table claims(member, amount)")
        self.d2.executemany("insert into claims values (?, 50)", [(m,) for m in range(100)])
        self.d2.executemany("insert into claims values (?, 50)", [("heavy",)] * 1000)

    def releases(self, db, sql, n=400):
        return [db.execute(sql).fetchone()[0] for _ in range(n)]

    def test_count_moves_by_one_person_not_their_rows(self):
        # DLap(scale 1) has sd sqrt(2); the difference of two means of 400 has sd 0.1. |diff - 1|
        # > 0.6 is a 6-sd event: false-failure rate below 2e-9.
        q = "select dp_count(amount, 1.0, member) from claims"
        diff = mean(self.releases(self.d2, q)) - mean(self.releases(self.d, q))
        self.assertLess(abs(diff - 1), 0.6, diff)
        # Negative control: without the unit each row is a person, and the heavy member moves the
        # count by 1,000 (the failure the privacy unit fixes).
        q = "select dp_count(amount, 1.0) from claims"
        diff = mean(self.releases(self.d2, q, 50)) - mean(self.releases(self.d, q, 50))
        self.assertGreater(diff, 900)

    def test_sum_and_mean_move_by_at_most_the_bound(self):
        # The heavy member's 1,000 x 50 is clamped to the upper bound 100. Noise scale 100: the
        # difference of two means of 400 has sd 10; |diff - 100| > 60 has probability below 2e-9.
        q = "select dp_sum(amount, 0, 100, 1.0, member) from claims"
        diff = mean(self.releases(self.d2, q)) - mean(self.releases(self.d, q))
        self.assertLess(abs(diff - 100), 60, diff)
        q = "select dp_sum(amount, 0, 100, 1.0) from claims"  # negative control: 50,000 per row
        self.assertGreater(mean(self.releases(self.d2, q, 50)) - mean(self.releases(self.d, q, 50)),
                           40000)
        # Mean over people: 100 members at 50 and one at 100.
        m = mean(self.releases(self.d2, "select dp_mean(amount, 0, 100, 1.0, member) from claims"))
        self.assertLess(abs(m - (100 * 50 + 100) / 101), 5)

    def test_neighbouring_datasets_differing_by_one_person(self):
        # Approximate DP: for every output value common in either histogram (>= 800 of 8,000
        # releases), the larger count is at most e^eps times the smaller, with a slack of 35% for
        # sampling error. The smaller count is then >= 800/e^0.5 = 485 in expectation, so the
        # log-ratio's sampling sd is at most sqrt(1/800 + 1/485) = 0.058 and the slack ln(1.35) =
        # 0.30 is 5.2 sd: below 1e-7 per value, about 1e-6 for the dozen values checked. (An
        # earlier form with 4,000 releases and a threshold of 150 failed about one run in five.)
        # Negative control: the per-row count is caught as violating.
        eps = 0.5
        q = "select dp_count(amount, {}, member) from claims".format(eps)

        def hist(db, sql):
            counts = {}
            for _ in range(8000):
                k = db.execute(sql).fetchone()[0]
                counts[k] = counts.get(k, 0) + 1
            return counts

        def worst_ratio(a, b):
            worst = 0.0
            for k in set(a) | set(b):
                x, y = a.get(k, 0), b.get(k, 0)
                if max(x, y) >= 800:
                    worst = max(worst, max(x, y) / max(min(x, y), 1))
            return worst

        a, b = hist(self.d, q), hist(self.d2, q)
        self.assertLess(worst_ratio(a, b), math.exp(eps) * 1.35)
        q = "select dp_count(amount, {}) from claims".format(eps)
        self.assertGreater(worst_ratio(hist(self.d, q), hist(self.d2, q)), 100)

    def test_units_of_every_type_and_nulls(self):
        db = connect()
        db.execute("create table t(u, x)")
        db.executemany("insert into t values (?, ?)",
                       [(1, 1), (1.0, 1), ("1", 1), (b"1", 1), (None, 1), (2, None), (3, "abc")])
        # Units are compared by value and storage class, bytewise for text (no collation: a
        # NOCASE column's 'Alice' and 'alice' are two units; lower() them first).
        # Units 1 (INTEGER and its equal REAL), '1' (TEXT), x'31' (BLOB): 3 people with a non-NULL
        # x; the NULL unit's row and unit 2's NULL x count nothing; unit 3's text x counts (it is
        # a value) for dp_count but not for dp_sum. Noise scale 1/100: |noise| >= 1 has
        # probability 2e-44.
        self.assertEqual(db.execute("select dp_count(x, 100, u) from t").fetchone()[0], 4)
        s = db.execute("select dp_sum(x, 0, 10, 100, u) from t").fetchone()[0]
        self.assertEqual(s, 4)  # 1 + 1 for unit 1, 1 for '1', 1 for x'31'; 'abc' is no number
        # A REAL beyond 9.2e18 that SQLite holds equal to an INTEGER is that one unit (the red
        # team's case): 2 units here, not 3.
        db.execute("create table big(u, x)")
        db.executemany("insert into big values (?, 1)",
                       [(9210000000000000000,), (9.21e18,), (-(2**62),)])
        self.assertEqual(db.execute("select dp_count(x, 100, u) from big").fetchone()[0], 2)


class EmptyInputTest(unittest.TestCase):
    def setUp(self):
        self.db = connect()
        self.db.execute("create table t(g, x, u)")
        self.db.executemany("insert into t values (?, ?, ?)", [(i % 3, i, i % 7) for i in range(300)])

    def test_empty_input_releases_noise_and_is_charged_like_any_other(self):
        queries = [
            ("select dp_count(x, 0.5) from t {}", int),
            ("select dp_count(x, 0.5, u) from t {}", int),
            ("select dp_sum(x, 0, 10, 0.5) from t {}", int),
            ("select dp_sum(x, 0.0, 10, 0.5, u) from t {}", float),
            ("select dp_mean(x, 0, 10, 0.5) from t {}", float),
            ("select dp_variance(x, 0, 10, 0.5) from t {}", float),
            ("select dp_median(x, 0, 10, 0.5) from t {}", float),
            ("select dp_quantile(x, 0, 10, 0.9, 0.5, u) from t {}", float),
        ]
        for sql, kind in queries:
            for where in ("", "where 0", "where x = 'nobody'"):
                before = spent(self.db)
                value = self.db.execute(sql.format(where)).fetchone()[0]
                self.assertIsInstance(value, kind, sql.format(where))
                self.assertAlmostEqual(spent(self.db) - before, 0.5, places=9, msg=sql.format(where))

    def test_empty_count_is_noise_not_an_exact_zero(self):
        # max(0, DLap(scale 1)): P(0) = 1 - e^-1 / (1 + e^-1) = 0.73; among 400 releases some are
        # positive unless the release were exact (probability of none: 0.73^400 ~ 1e-55).
        values = [self.db.execute("select dp_count(x, 1) from t where 0").fetchone()[0]
                  for _ in range(400)]
        self.assertTrue(any(v > 0 for v in values))
        self.assertTrue(all(v >= 0 for v in values))

    def test_grouped_queries_are_charged_per_release_and_once_when_empty(self):
        before = spent(self.db)
        rows = self.db.execute("select g, dp_count(x, 0.25) from t group by g").fetchall()
        self.assertEqual(len(rows), 3)
        self.assertAlmostEqual(spent(self.db) - before, 0.75, places=9)
        before = spent(self.db)
        self.assertEqual(self.db.execute("select g, dp_count(x, 0.25) from t where 0 group by g")
                         .fetchall(), [])
        self.assertAlmostEqual(spent(self.db) - before, 0.25, places=9)

    def test_rows_never_cause_errors(self):
        # Text, BLOBs and huge values in x are left out or clamped; no row value can make the
        # statement fail (an error would tell that row's content for free).
        db = connect()
        db.execute("create table t(x)")
        db.executemany("insert into t values (?)", [("abc",), (b"\x00",), (1e308,), (-1e308,),
                                                    (2**63 - 1,), (None,), (float("nan"),)])
        for sql in ("select dp_sum(x, 0, 1000000000000000, 1) from t",
                    "select dp_mean(x, -1, 1, 1) from t", "select dp_median(x, 0, 1, 1) from t",
                    "select dp_variance(x, 0, 1, 1) from t",
                    "select dp_sum(x, 0, 1000000000000000, 1, x) from t"):
            db.execute(sql).fetchone()

    def test_integer_sums_beyond_int64_are_clamped_not_undefined(self):
        db = connect()
        db.execute("create table t(x)")
        db.executemany("insert into t values (?)", [(10**15,)] * 10000)  # sum 1e19 > 2^63
        v = db.execute("select dp_sum(x, 0, 1000000000000000, 1) from t").fetchone()[0]
        self.assertEqual(v, 2**63 - 1)


class ParametersFromTheStatementTest(unittest.TestCase):
    def setUp(self):
        self.db = connect()
        self.db.execute("create table t(x, lo)")
        self.db.executemany("insert into t values (?, 0)", [(i,) for i in range(100)])

    def test_bound_parameters_and_literals(self):
        before = spent(self.db)
        self.db.execute("select dp_sum(x, ?, ?, ?) from t", (0, 100, 0.125)).fetchone()
        self.db.execute("select dp_count(x, :eps) from t", {"eps": 0.125}).fetchone()
        self.assertAlmostEqual(spent(self.db) - before, 0.25, places=9)

    def test_parameters_that_are_not_written_numbers_fail_whatever_the_data(self):
        for sql in ("select dp_sum(x, lo, 100, 1) from t", "select dp_count(x, 0.5 + 0.5) from t",
                    "select dp_count(x, (select 1)) from t"):
            for where in ("", " where 0"):
                with self.assertRaises(sqlite3.OperationalError) as e:
                    self.db.execute(sql + where).fetchall()
                self.assertIn("anonkit: dp_", str(e.exception))
                self.assertIn("written as a number or a bound parameter", str(e.exception))

    def test_one_parameter_set_per_function_and_one_dp_statement_at_a_time(self):
        # Repeated calls with the same parameters are fine, each charged.
        before = spent(self.db)
        row = self.db.execute("select dp_count(x, 0.125), dp_count(x, 0.125), "
                              "dp_sum(x, 0, 10, 0.25) from t").fetchone()
        self.assertEqual(len(row), 3)
        self.assertAlmostEqual(spent(self.db) - before, 0.5, places=9)
        # Two parameter sets of one function are refused whatever the data (an aggregate cannot
        # tell which written call it is, and an empty input would have to guess), before any
        # charge. Found by the red team: a literal SQLite reads 1 ulp apart from strtod, or a
        # bound 1/3, made the guess depend on emptiness.
        before = spent(self.db)
        for where in ("", "where 0", "where x = 5"):
            for sql in ("select dp_sum(x, 0, 10, 0.5), dp_sum(x, 0.0, 100, 0.25) from t {}",
                        "select typeof(dp_sum(x,0,1000000,1)), typeof(dp_sum(x,0.0,10.0,0.002877)) "
                        "from t {}",
                        "select g, dp_count(x, 0.01), dp_count(x, 10) filter (where x > 50) "
                        "from (select x % 3 g, x from t {}) group by g"):
                if "group by" in sql and where == "where 0":
                    # No group at all: no aggregate runs, nothing is released or charged (which
                    # groups exist is what GROUP BY itself shows: docs, "GROUP BY recipes").
                    self.assertEqual(self.db.execute(sql.format(where)).fetchall(), [])
                    continue
                with self.assertRaises(sqlite3.OperationalError) as e:
                    self.db.execute(sql.format(where)).fetchall()
                self.assertIn("appears with different parameters", str(e.exception))
        self.assertEqual(spent(self.db), before)
        # A second DP statement while one is unfinished is refused (it could not tell its
        # aggregates from the other's), whether its input is empty or not.
        a = self.db.execute("select x, dp_count(x, 0.5) from t group by x")
        a.fetchone()
        for where in ("where x = 5", "where 0"):
            with self.assertRaises(sqlite3.OperationalError) as e:
                self.db.execute("select dp_count(x, 0.000001) from t " + where).fetchall()
            self.assertRegex(str(e.exception),
                             "another statement with DP functions|two statements with DP functions")
        a.fetchall()
        self.db.execute("select dp_count(x, 0.5) from t").fetchone()  # finished: fine again

    def test_temp_views_and_triggers_cannot_run_dp_functions(self):
        # SQLite does not apply DIRECTONLY to TEMP objects; anonkit's authorizer does.
        self.db.execute("create temp view v as select dp_count(x, 1) c from t")
        a = self.db.execute("select x, dp_count(x, 0.5) from t group by x")
        a.fetchone()
        with self.assertRaises(sqlite3.OperationalError) as e:
            self.db.execute("select * from v").fetchall()
        self.assertIn("not authorized", str(e.exception))
        a.fetchall()
        # SQLite names a CTE to the authorizer like a view: a DP call in a CTE's body is refused;
        # the same in a FROM subquery, or a CTE feeding a DP call, is fine.
        with self.assertRaises(sqlite3.OperationalError):
            self.db.execute("with a as (select dp_count(x, 1) c from t) select c from a").fetchall()
        self.db.execute("select c from (select dp_count(x, 1) c from t)").fetchall()
        self.db.execute("with a as (select x from t) select dp_count(x, 1) from a").fetchall()

    def test_invalid_parameters_are_refused_before_any_charge(self):
        before = spent(self.db)
        for sql in ("select dp_count(x, 0) from t", "select dp_sum(x, 10, 0, 1) from t",
                    "select dp_sum(x, 0, 1e-300, 1) from t",
                    "select dp_quantile(x, 0, 1, 1.5, 1) from t",
                    "select g from (select 1 g) group by g having dp_keep_group(g, 1, 0)"):
            with self.assertRaises(sqlite3.OperationalError) as e:
                self.db.execute(sql).fetchall()
            self.assertTrue(str(e.exception).startswith("anonkit: "), str(e.exception))
        self.assertEqual(spent(self.db), before)

    def test_a_replaced_statement_hook_refuses(self):
        db = connect()
        db.execute("create table t(x)")
        db.set_trace_callback(lambda s: None)  # replaces anonkit's hook
        with self.assertRaises(sqlite3.OperationalError) as e:
            db.execute("select dp_count(x, 1) from t").fetchall()
        self.assertIn("statement hook", str(e.exception))


class OrderStatisticsAndGroupsTest(unittest.TestCase):
    def test_median_and_quantiles_are_accurate(self):
        db = connect()
        db.execute("create table t(x)")
        db.executemany("insert into t values (?)", [(i,) for i in range(10000)])
        # 10,000 values, eps 1: the tree's noise moves the median by a few leaves (leaf width
        # 10,000/65,536); 2% of the range is far beyond it (see the unit tests' accuracy bound).
        for _ in range(20):
            m = db.execute("select dp_median(x, 0, 10000, 1) from t").fetchone()[0]
            self.assertLess(abs(m - 5000), 200)
            q = db.execute("select dp_quantile(x, 0, 10000, 0.9, 1) from t").fetchone()[0]
            self.assertLess(abs(q - 9000), 200)
            v = db.execute("select dp_variance(x, 0, 10000, 1) from t").fetchone()[0]
            self.assertLess(abs(v - 8333333) / 8333333, 0.1)

    def test_keep_group_hides_rare_groups(self):
        db = connect()
        db.execute("create table t(dx, member)")
        db.executemany("insert into t values ('flu', ?)", [(m,) for m in range(500)])
        db.executemany("insert into t values ('rare', 'only-one')", [()] * 50)  # one person
        # delta 1e-6: the one-person group is kept with probability at most 1e-6 per run (20 runs:
        # 2e-5); the 500-person group passes unless the noise (scale 1) is below -(500 - ~15).
        for _ in range(20):
            kept = [r[0] for r in db.execute(
                "select dx from t group by dx having dp_keep_group(member, 1, 1e-6)")]
            self.assertEqual(kept, ["flu"])
        # Negative control: a plain HAVING count reveals the rare group.
        self.assertEqual([r[0] for r in db.execute(
            "select dx from t group by dx having count(*) > 0 order by dx")], ["flu", "rare"])


class SamplingTest(unittest.TestCase):
    def setUp(self):
        import tempfile
        self.tmp = tempfile.TemporaryDirectory()
        self.keys = []
        for first in (1, 50):
            path = os.path.join(self.tmp.name, "k{}.key".format(first))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, bytes(range(first, first + 32)))
            os.close(fd)
            self.keys.append(path)
        self.db = connect()
        self.db.execute("create table t(member, visit)")
        self.db.executemany("insert into t values (?, ?)",
                            [(m, v) for m in range(20000) for v in range(2)])

    def tearDown(self):
        self.tmp.cleanup()

    def drawn(self, key):
        self.db.execute("select anonkit_key_load(?)", (key,))
        return set(self.db.execute(
            "select member from t where anonkit_sample(member, 0.1) group by member "
            "having count(*) = 2"))  # a person's rows are drawn together

    def test_reproducible_keyed_bernoulli_by_person(self):
        a = self.drawn(self.keys[0])
        self.assertEqual(a, self.drawn(self.keys[0]))  # same key: same rows, every run
        # 20,000 people at rate 0.1: binomial sd 42.4; |n - 2000| > 255 (6 sd) has probability
        # below 2e-9.
        self.assertLess(abs(len(a) - 2000), 255)
        rows = self.db.execute("select count(*) from t where anonkit_sample(member, 0.1)").fetchone()[0]
        self.assertEqual(rows, 2 * len(a))  # never one visit of a person without the other
        b = self.drawn(self.keys[1])
        # Another key draws independently: the overlap is about 0.01 x 20,000 = 200 (sd 14), far
        # from the 2,000 a key-independent draw would share (negative control: same key above).
        self.assertLess(len(a & b), 300)
        self.assertEqual(self.db.execute("select sum(anonkit_sample(member, 0)), "
                                         "sum(anonkit_sample(member, 1)) from t").fetchone(),
                         (0, 40000))
        # 42, 42.0 and '42' are the same person.
        self.assertEqual(len(set(self.db.execute(
            "select anonkit_sample(42, 0.5) union select anonkit_sample(42.0, 0.5) "
            "union select anonkit_sample('42', 0.5)"))), 1)

    def test_needs_a_key_and_a_rate(self):
        db = connect()
        with self.assertRaises(sqlite3.OperationalError) as e:
            db.execute("select anonkit_sample(1, 0.5)").fetchone()
        self.assertIn("no key loaded", str(e.exception))
        db.execute("select anonkit_key_load(?)", (self.keys[0],))
        for rate in ("1.5", "-0.1", "'x'", "NULL"):
            with self.assertRaises(sqlite3.OperationalError) as e:
                db.execute("select anonkit_sample(1, {})".format(rate)).fetchone()
            self.assertIn("rate as a number from 0 to 1", str(e.exception))


if __name__ == "__main__":
    unittest.main()
