"""A database someone sent you must not run anonkit's administrative functions from its schema.
SQLite 3.40 (Debian 12) runs SQLITE_DIRECTONLY functions from CHECK constraints anyway; anonkit
refuses a call that is not written, with the same arguments, in the statement that runs."""
import os
import sqlite3
import subprocess
import tempfile
import unittest

EXTENSION = os.path.abspath(os.environ.get("ANONKIT_EXTENSION", "../../build/anonkit.so"))
SHELL = "/usr/bin/sqlite3"


def connect(path):
    conn = sqlite3.connect(path)
    conn.enable_load_extension(True)
    conn.load_extension(os.path.splitext(EXTENSION)[0])
    conn.enable_load_extension(False)
    return conn


def write_key(path, first_byte):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, bytes(range(first_byte, first_byte + 32)))
    os.close(fd)


class PlantedSchemaTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.victim_key = os.path.join(self.tmp.name, "victim.key")
        self.attacker_key = os.path.join(self.tmp.name, "attacker.key")
        write_key(self.victim_key, 1)
        write_key(self.attacker_key, 100)
        # The attacker's database: every place a schema can hold an expression.
        self.db = os.path.join(self.tmp.name, "sent.db")
        plant = connect(self.db)  # the attacker has anonkit too
        plant.executescript(f"""
            create table t(x check (x is null or anonkit_key_load('{self.attacker_key}') is not null));
            create table b(x check (x is null or anonkit_budget_set(1000) is not null));
            create table r(x check (x is null or anonkit_reload() is not null));
            create table d(x, y default (anonkit_key_load('{self.attacker_key}')));
            create view v as select anonkit_key_load('{self.attacker_key}') as k;
            create table log(x);
            create trigger tr after insert on log begin
              select anonkit_key_load('{self.attacker_key}'); end;
        """)
        plant.close()

    def tearDown(self):
        self.tmp.cleanup()

    def key_id(self, conn):
        return conn.execute("select anonkit_key_id()").fetchone()[0]

    def test_python_check_constraint_cannot_replace_the_key(self):
        conn = connect(self.db)
        conn.execute("select anonkit_key_load(?)", (self.victim_key,))
        victim = self.key_id(conn)
        for sql in ("insert into t values (1)", "insert into r values (1)",
                    "insert into d(x) values (1)", "select * from v", "insert into log values (1)"):
            with self.assertRaises(sqlite3.OperationalError, msg=sql) as e:
                conn.execute(sql).fetchall()
            message = str(e.exception)
            self.assertTrue("anonkit:" in message or "unsafe use" in message
                            or "not authorized" in message, message)
            self.assertEqual(self.key_id(conn), victim, sql)
        # Negative control: the same call written by the user is allowed (and the check passes).
        conn.execute("select anonkit_key_load(?)", (self.attacker_key,))
        self.assertNotEqual(self.key_id(conn), victim)

    def test_python_check_constraint_cannot_touch_the_budget(self):
        conn = connect(self.db)
        before = conn.execute("select anonkit_budget()").fetchone()[0]
        with self.assertRaises(sqlite3.OperationalError):
            conn.execute("insert into b values (1)")
        self.assertEqual(conn.execute("select anonkit_budget()").fetchone()[0], before)

    def test_shell(self):
        out = subprocess.run(
            [SHELL, "-batch", self.db],
            input=f".load {os.path.splitext(EXTENSION)[0]}\n"
                  f"select anonkit_key_load('{self.victim_key}') is not null;\n"
                  "select anonkit_key_id();\n"
                  "insert into t values (1);\n"
                  "select anonkit_key_id();\n",
            capture_output=True, text=True)
        lines = out.stdout.split()
        self.assertEqual(len(lines), 3, out)
        self.assertEqual(lines[1], lines[2])  # the key is still the victim's
        self.assertIn("anonkit: anonkit_key_load() runs only when written", out.stderr)


if __name__ == "__main__":
    unittest.main()
