"""The privacy-budget ledger follows the data, not the path (issue 13).

Each test is one measured bypass of the earlier ledger (a sidecar named after the connection's *main*
database path, whose total any SQL could remove): every one of them spent without limit there, and
each must now stop once the total is used up. Negative control: against the earlier extension
(commit 2142910) test_attach_into_memory's third dp_count returned a value (the ":memory:" main's
in-memory ledger had no total) and test_hard_link's and test_copy's first query over the link or copy
were charged to a fresh "<link>-anonkit-budget", so each assertRaises below failed there.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

EXTENSION = os.environ.get("ANONKIT_EXTENSION", "../../build/anonkit.so")
LOADABLE = os.path.splitext(os.path.abspath(EXTENSION))[0]
EXHAUSTED = "anonkit: privacy budget exhausted"


def connect(path=":memory:"):
    conn = sqlite3.connect(path, isolation_level=None, timeout=60)  # transactions as written
    conn.enable_load_extension(True)
    conn.load_extension(LOADABLE)
    conn.enable_load_extension(False)
    return conn


def make_data(path, journal_mode="delete"):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"pragma journal_mode={journal_mode}")
    db.executescript("create table t(x); insert into t values (1), (2), (3);")
    db.close()


class LedgerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = self.file("d.db")
        make_data(self.path)
        owner = connect(self.path)
        owner.execute("select anonkit_budget_set(1.0)")
        owner.close()

    def tearDown(self):
        self.tmp.cleanup()

    def file(self, name):
        return os.path.join(self.tmp.name, name)

    def budget(self, db, schema=None):
        sql = "select anonkit_budget()" if schema is None else "select anonkit_budget(?)"
        return json.loads(db.execute(sql, () if schema is None else (schema,)).fetchone()[0])

    def spend(self, db, table="t", epsilon=0.4):
        return db.execute(f"select dp_count(x, {epsilon}) from {table}").fetchone()[0]

    def assertExhausted(self, db, table="t", epsilon=0.4):
        with self.assertRaises(sqlite3.OperationalError) as raised:
            self.spend(db, table, epsilon)
        self.assertTrue(str(raised.exception).startswith(EXHAUSTED), str(raised.exception))

    def test_attach_into_memory(self):
        db = connect()
        db.execute("attach ? as d", (self.path,))
        self.spend(db, "d.t")
        self.spend(db, "d.t")
        self.assertExhausted(db, "d.t")
        self.assertEqual(self.budget(db)["d"], {"total": 1.0, "spent": 0.8, "remaining": 0.2})
        self.assertEqual(self.budget(connect(self.path), "main")["spent"], 0.8)

    def test_hard_link(self):
        self.spend(connect(self.path))
        link = self.file("link.db")
        os.link(self.path, link)
        db = connect(link)
        self.spend(db)
        self.assertExhausted(db)
        self.assertExhausted(connect(self.path))

    def test_copy_starts_with_the_originals_spending(self):
        original = connect(self.path)
        self.spend(original)
        original.close()
        copy = self.file("copy.db")
        shutil.copy(self.path, copy)
        db = connect(copy)
        self.assertEqual(self.budget(db)["main"], {"total": 1.0, "spent": 0.4, "remaining": 0.6})
        self.spend(db)
        self.assertExhausted(db)  # the copy is the same data: it shares the original's budget
        # A copy whose ledger is gone (moved to another machine without it) fails closed.
        os.rename(self.path + "-anonkit-budget", self.file("elsewhere"))
        with self.assertRaises(sqlite3.OperationalError) as raised:
            self.spend(connect(copy), epsilon=0.01)
        self.assertIn("privacy-budget ledger of database 'main' is not at", str(raised.exception))

    def test_empty_main_with_attached_data(self):
        empty = self.file("empty.db")
        sqlite3.connect(empty).close()
        db = connect(empty)
        db.execute("attach ? as d", (self.path,))
        self.spend(db, "d.t")
        self.spend(db, "d.t")
        self.assertExhausted(db, "d.t")
        self.assertNotIn("main", [r[0] for r in sqlite3.connect(empty).execute(
            "select name from sqlite_schema")])  # an empty file stays untouched

    def test_two_attached_files_are_charged_all_or_nothing(self):
        other = self.file("e.db")
        make_data(other)
        db = connect(self.path)
        db.execute("attach ? as e", (other,))
        db.execute("select anonkit_budget_set(5, 'e')")
        self.spend(db, "e.t", 0.9)  # charged to both: main has 0.1 left
        self.assertExhausted(db, "e.t", 0.5)
        self.assertEqual(self.budget(db)["e"]["spent"], 0.9)  # the refused release charged nothing
        db.execute("attach ? as again", (self.path,))  # the same file twice is charged once
        self.spend(db, "e.t", 0.1)
        self.assertEqual(self.budget(db, "main")["spent"], 1.0)

    def test_total_cannot_be_removed_or_raised_only_lowered(self):
        db = connect(self.path)
        for sql, message in [
            ("select anonkit_budget_set(NULL)", "a total cannot be removed from SQL"),
            ("select anonkit_budget_set(2)", "can only lower the total of database 'main'"),
        ]:
            with self.assertRaises(sqlite3.OperationalError) as raised:
                db.execute(sql)
            self.assertTrue(str(raised.exception).startswith("anonkit:"), str(raised.exception))
            self.assertIn(message, str(raised.exception))
        self.assertEqual(json.loads(db.execute("select anonkit_budget_set(0.5)").fetchone()[0]),
                         {"total": 0.5, "spent": 0, "remaining": 0.5})
        self.spend(db)
        self.assertExhausted(db, epsilon=0.2)
        # Through an attachment too: ATTACH does not make a second, settable ledger.
        mem = connect()
        mem.execute("attach ? as d", (self.path,))
        with self.assertRaises(sqlite3.OperationalError):
            mem.execute("select anonkit_budget_set(10, 'd')")

    def test_ledger_tables_cannot_be_edited_from_sql(self):
        db = connect(self.path)
        self.spend(db)
        db.execute("attach ? as l", (self.path + "-anonkit-budget",))
        refused = [
            "delete from anonkit_budget_ledger",
            "update anonkit_budget_ledger set ledger_id = 'x'",
            "drop table anonkit_budget_ledger",
            "alter table anonkit_budget_ledger rename to old",
            "create temp table anonkit_budget_charges(micro)",
            "delete from l.anonkit_budget_charges",
            "update l.anonkit_budget set total_micro = null",
            "insert into l.anonkit_budget_charges(function, micro) values ('x', 1)",
            "drop table l.anonkit_budget_charges",
            "create index l.i on anonkit_budget_charges(micro)",
            "pragma writable_schema = on",
        ]
        for sql in refused:
            with self.assertRaises(sqlite3.DatabaseError, msg=sql) as raised:
                db.execute(sql)
            self.assertIn("not authorized", str(raised.exception), sql)
        # A trigger may be written, but its body is checked when it runs, and refused there.
        db.execute("create trigger tr after insert on t begin delete from anonkit_budget_ledger; end")
        with self.assertRaises(sqlite3.DatabaseError) as raised:
            db.execute("insert into t values (9)")
        self.assertIn("not authorized", str(raised.exception))
        self.assertEqual(self.budget(db)["main"]["spent"], 0.4)
        # A look-alike table renamed into place is not trusted.
        fresh = self.file("fresh.db")
        make_data(fresh)
        forger = connect(fresh)
        forger.execute("create table x(id integer primary key, ledger_id text, ledger_path text)")
        forger.execute("alter table x rename to anonkit_budget_ledger")
        with self.assertRaises(sqlite3.OperationalError) as raised:
            self.spend(forger)
        self.assertIn("anonkit did not make", str(raised.exception))

    def test_rollback_does_not_refund(self):
        db = connect(self.path)
        db.execute("begin")
        db.execute("insert into t values (4)")
        self.spend(db)  # the ledger exists: a write transaction on the data does not block it
        db.execute("rollback")
        self.assertEqual(self.budget(db)["main"]["spent"], 0.4)

    def test_write_transaction_on_a_database_without_ledger_is_refused_clearly(self):
        fresh = self.file("fresh.db")
        make_data(fresh)
        db = connect(fresh)
        db.execute("begin")
        db.execute("insert into t values (4)")
        with self.assertRaises(sqlite3.OperationalError) as raised:
            self.spend(db)
        self.assertTrue(str(raised.exception).startswith(
            "anonkit: database 'main' has no privacy-budget ledger yet, and it cannot be created "
            "while this connection holds a transaction on it; commit first"),
            str(raised.exception))
        db.execute("commit")
        self.spend(db)
        self.assertEqual(self.budget(db)["main"]["spent"], 0.4)

    def test_readers_do_not_block_a_charge_in_either_journal_mode(self):
        for mode in ("delete", "wal"):
            with self.subTest(journal_mode=mode):
                path = self.file(f"{mode}.db")
                make_data(path, mode)
                setup = connect(path)
                setup.execute("select anonkit_budget_set(1.0)")
                reader = sqlite3.connect(path, isolation_level=None)
                reader.execute("begin")
                reader.execute("select count(*) from t").fetchone()  # holds a read transaction
                db = connect(path)
                self.spend(db)
                self.spend(db)
                self.assertExhausted(db)
                reader.execute("commit")
                if mode == "wal":
                    mem = connect()
                    mem.execute("attach ? as d", (path,))
                    self.assertExhausted(mem, "d.t")

    def test_two_processes_never_exceed_the_total(self):
        link = self.file("link.db")
        os.link(self.path, link)
        owner = connect(self.path)
        owner.execute("select anonkit_budget_set(0.5)")  # room for exactly 50 charges of 0.01
        racer = """
import sqlite3, sys
db = sqlite3.connect(":memory:", timeout=60)
db.enable_load_extension(True)
db.load_extension(sys.argv[2])
db.execute("attach ? as d", (sys.argv[1],))
ok = refused = 0
for _ in range(40):
    try:
        db.execute("select dp_count(x, 0.01) from d.t").fetchone()
        ok += 1
    except sqlite3.OperationalError as e:
        if "privacy budget exhausted" not in str(e):
            raise
        refused += 1
print(ok, refused)
"""
        procs = [subprocess.Popen([sys.executable, "-c", racer, p, LOADABLE],
                                  stdout=subprocess.PIPE, text=True) for p in (self.path, link)]
        results = [tuple(map(int, p.communicate(timeout=300)[0].split())) for p in procs]
        self.assertEqual([p.returncode for p in procs], [0, 0])
        self.assertEqual(sum(ok for ok, _ in results), 50)
        self.assertEqual(self.budget(owner)["main"]["remaining"], 0)

    def test_sqlite3_shell_attach_into_memory(self):
        script = (f".load {LOADABLE}\nattach '{self.path}' as d;\n"
                  "select dp_count(x, 0.4) is not null from d.t;\n" * 1 +
                  "select dp_count(x, 0.4) is not null from d.t;\n"
                  "select dp_count(x, 0.4) is not null from d.t;\n"
                  "select anonkit_budget_set(NULL);\n")
        run = subprocess.run(["/usr/bin/sqlite3", "-batch", ":memory:"], input=script,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.stdout.split(), ["1", "1"])
        self.assertIn("anonkit: privacy budget exhausted: requested ε=0.4, remaining ε=0.2 "
                      "(database 'd')", run.stderr)
        self.assertIn("a total cannot be removed from SQL", run.stderr)

    def test_memory_main_keeps_an_in_memory_ledger(self):
        db = connect()
        db.execute("create table m(x)")
        db.execute("insert into m values (1)")
        db.execute("select anonkit_budget_set(0.5)")
        self.spend(db, "m")
        self.assertExhausted(db, "m", 0.2)
        self.assertEqual(self.budget(db), {"main": {"total": 0.5, "spent": 0.4,
                                                    "remaining": 0.1}})
        self.assertEqual(self.budget(connect())["main"]["spent"], 0)  # per connection


if __name__ == "__main__":
    unittest.main()
