"""pii_inventory(), anonkit_decide() and the undecided gate through Python's sqlite3 loading the
built extension, over a database of planted columns made by this file's own generator: each
planted type found with its share within sampling error, no PII type on the clean columns, the
gate failing until decisions are recorded and again when a column changes under its decision, the
sampling bounded, and no planted value (nor any 6-digit run of one) anywhere in the output."""
import json
import math
import os
import random
import re
import sqlite3
import tempfile
import unittest

EXTENSION = os.environ.get("ANONKIT_EXTENSION", "../../build/anonkit.so")

ROWS = 5000  # the planted table; the default sample (1,000 rows) sees a fifth of it
NOTES_EMAIL_EVERY = 3  # a third of the notes hold an e-mail
MIXED_PHONE_EVERY = 50  # 2% of `mixed` are phones


def connect(path=":memory:"):
    conn = sqlite3.connect(path)
    conn.enable_load_extension(True)
    conn.load_extension(os.path.splitext(os.path.abspath(EXTENSION))[0])
    conn.enable_load_extension(False)
    return conn


class Planted:
    """The generator: Kenyan phones in several written forms, e-mails, KRA PINs, JSON documents,
    free-text notes, amounts. Seeded, so a failure can be replayed; every value is remembered so
    the leak test can look for it."""

    WORDS = ["claim", "status", "asked", "about", "the", "payment", "review", "pending", "form",
             "received", "policy", "renewal", "closed", "ticket", "update", "query", "branch"]
    STATES = ["pending", "approved", "review", "closed", "open", "on hold"]
    DOMAINS = ["example.org", "mail.co.ke", "post.example.com", "inbox.example.net"]

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.values = []  # every planted personal value

    def phone(self):
        r = self.rng
        subscriber = f"{r.randint(10, 99)}{r.randint(100, 999)}{r.randint(100, 999)}"[:8]
        form = r.randrange(3)
        if form == 0:
            v = f"+254 7{subscriber[:2]} {subscriber[2:5]} {subscriber[5:]}"
        elif form == 1:
            v = f"07{subscriber[:2]} {subscriber[2:5]} {subscriber[5:]}"
        else:
            v = f"+2547{subscriber}"
        self.values.append(v)
        return v

    def email(self):
        r = self.rng
        local = "".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(5, 9)))
        v = f"{local}.{r.randint(10, 9999)}@{r.choice(self.DOMAINS)}"
        self.values.append(v)
        return v

    def kra_pin(self):
        r = self.rng
        v = f"{r.choice('AP')}{r.randint(0, 999999999):09d}{r.choice('ABCDEFGHJKLMNPQRSTVWXYZ')}"
        self.values.append(v)
        return v

    def words(self, n):
        return " ".join(self.rng.choice(self.WORDS) for _ in range(n))

    def rows(self, n):
        for i in range(n):
            r = self.rng
            note = self.words(r.randint(4, 9))
            if i % NOTES_EMAIL_EVERY == 0:
                note = f"{note}; reply to {self.email()} {self.words(2)}"
            doc = json.dumps({"claim": {"id": i, "contact": {"email": self.email()}},
                              "items": [r.randint(1, 9)]})
            mixed = self.phone() if i % MIXED_PHONE_EVERY == 0 else r.choice(self.STATES)
            amount = round(r.uniform(1, 90000), 2)
            yield (note, self.phone(), self.kra_pin(), amount, r.randint(1, 500), doc, mixed)


def make_planted(conn, seed=14, rows=ROWS):
    gen = Planted(seed)
    conn.execute("create table customers(id integer primary key, name text)")
    conn.execute(
        "create table people(id integer primary key, notes text, contact text, ref text, "
        "amount real, quantity integer, payload text, mixed text, "
        "customer_id integer references customers(id))")
    conn.executemany(
        "insert into people(notes, contact, ref, amount, quantity, payload, mixed) "
        "values (?, ?, ?, ?, ?, ?, ?)", gen.rows(rows))
    conn.commit()
    return gen


def inventory(conn, sql="select * from pii_inventory()", args=()):
    cur = conn.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def by_column(rows):
    return {(r["table_name"], r["column_name"]): r for r in rows}


def sd(p, n):
    """Binomial standard deviation of a share over n draws (sampling without replacement from
    the table is tighter, so bounds in sds of this are conservative)."""
    return math.sqrt(max(p * (1 - p), 1e-12) / n)


class PlantedColumnsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = connect()
        cls.gen = make_planted(cls.db)
        cls.sampled = by_column(inventory(cls.db))
        cls.full = by_column(inventory(cls.db, "select * from pii_inventory(NULL, ?)",
                                       ('{"full":true}',)))

    def types(self, row):
        return {t["type"]: t for t in json.loads(row["types"])}

    def test_sampling_is_stated(self):
        r = self.sampled[("people", "notes")]
        self.assertEqual(r["rows_sampled"], 1000)
        self.assertEqual(r["sampling"], f"random 1000 of ~{ROWS}")  # dense rowids: exact estimate
        self.assertIsNone(r["rows_total"])
        f = self.full[("people", "notes")]
        self.assertEqual((f["rows_sampled"], f["rows_total"], f["sampling"]), (ROWS, ROWS, "full"))
        small = self.sampled[("customers", "id")]  # empty: read in full
        self.assertEqual((small["rows_sampled"], small["rows_total"], small["sampling"]),
                         (0, 0, "full"))

    def test_each_planted_type_found_with_its_share(self):
        # Planted fractions: notes 1/3 e-mail, contact, ref and payload all, mixed 2% phone. The
        # full scan must find them (recognizer recall >= 97% on these forms, no other type on more
        # than 1% of values); the 1,000-row sample must match the full scan within 5 sds: each
        # such check fails by chance with probability below 6e-7.
        every = lambda k: len(range(0, ROWS, k)) / ROWS  # rows 0, k, 2k, ... hold it
        planted = {"notes": ("EMAIL", every(NOTES_EMAIL_EVERY), "text"),
                   "contact": ("PHONE", 1.0, "phone"),
                   "ref": ("KE_KRA_PIN", 1.0, "id"),
                   "payload": ("EMAIL", 1.0, "text"),
                   "mixed": ("PHONE", every(MIXED_PHONE_EVERY), "phone")}
        for column, (pii, fraction, suggestion) in planted.items():
            with self.subTest(column=column):
                full = self.full[("people", column)]
                ftypes = self.types(full)
                self.assertEqual(full["top_type"], pii)
                self.assertIn(pii, ftypes)
                self.assertGreaterEqual(ftypes[pii]["share"], 0.97 * fraction)
                self.assertLessEqual(ftypes[pii]["share"], fraction + 1e-9)
                for other, t in ftypes.items():
                    if other != pii:
                        self.assertLess(t["share"], 0.01, (other, t))
                r = self.sampled[("people", column)]
                self.assertEqual(r["top_type"], pii)
                self.assertEqual(r["non_null"], 1000)
                p = ftypes[pii]["share"]
                self.assertLess(abs(r["share"] - p), 5 * sd(p, 1000) + 1e-9, (r["share"], p))
                self.assertEqual(self.types(r)[pii]["values"], round(r["share"] * 1000))
                self.assertEqual(r["suggestion"], suggestion)
                self.assertEqual(full["suggestion"], suggestion)
                self.assertEqual(r["undecided"], 1)

    def test_clean_columns_hold_no_pii_type(self):
        for column in ("id", "amount", "quantity", "customer_id"):
            for rows in (self.sampled, self.full):
                r = rows[("people", column)]
                with self.subTest(column=column):
                    self.assertEqual(json.loads(r["types"]), [])
                    self.assertIsNone(r["top_type"])
                    self.assertIsNone(r["suggestion"])
                    self.assertEqual(r["undecided"], 0)

    def test_declared_types_and_keys(self):
        r = self.sampled
        self.assertEqual(r[("people", "id")]["key"], "pk")
        self.assertEqual(r[("people", "customer_id")]["key"], "fk:customers.id")
        self.assertIsNone(r[("people", "notes")]["key"])
        self.assertEqual(r[("people", "amount")]["declared_type"], "REAL")
        self.assertEqual(r[("people", "contact")]["declared_type"], "TEXT")
        self.assertEqual(r[("people", "amount")]["shape"].count("."), 1)  # "#####.##": no digit
        self.assertRegex(r[("people", "ref")]["shape"], r"^[AP]#########A$")
        self.assertTrue(r[("people", "payload")]["shape"].startswith('{"aaaaa": {"aa": '))
        self.assertLessEqual(len(r[("people", "payload")]["shape"]), 51)  # 48 and "..."

    def test_one_table(self):
        rows = inventory(self.db, "select column_name from pii_inventory('PEOPLE')")
        self.assertEqual([r["column_name"] for r in rows],
                         ["id", "notes", "contact", "ref", "amount", "quantity", "payload",
                          "mixed", "customer_id"])


class DecisionsTest(unittest.TestCase):
    def setUp(self):
        self.db = connect()
        make_planted(self.db, seed=15, rows=600)

    def undecided(self):
        return sorted(f"{t}.{c}" for t, c in self.db.execute(
            "select table_name, column_name from pii_inventory() where undecided"))

    def test_gate_fails_then_passes_then_fails_when_a_column_changes(self):
        pii = ["people.contact", "people.mixed", "people.notes", "people.payload", "people.ref"]
        self.assertEqual(self.undecided(), pii)  # the CI gate: count(*) ... where undecided
        fp = self.db.execute(
            "select anonkit_decide('people', 'contact', 'mask', 'phone', 'support line')"
        ).fetchone()[0]
        self.assertEqual(fp, "#2 TEXT")
        self.db.execute("select anonkit_decide('people', 'REF', 'drop', NULL, 'not needed')")
        self.db.execute("select anonkit_decide('people', 'notes', 'mask', 'text')")
        self.db.execute("select anonkit_decide('people', 'payload', 'mask', 'text')")
        self.assertEqual(self.undecided(), ["people.mixed"])
        self.db.execute("select anonkit_decide('people', 'mixed', 'keep', NULL, 'reviewed')")
        self.assertEqual(self.undecided(), [])
        r = by_column(inventory(self.db, "select * from pii_inventory('people')"))
        self.assertEqual((r[("people", "contact")]["decision"],
                          r[("people", "contact")]["decision_strategy"],
                          r[("people", "contact")]["decision_state"]), ("mask", "phone", "current"))
        self.assertEqual(r[("people", "ref")]["decision"], "drop")  # stored as the schema spells it
        self.assertEqual(self.db.execute(
            "select count(*) from anonkit_column_decisions where column_name = 'ref'").fetchone(),
            (1,))

        # A column added after the decisions: undecided until decided.
        self.db.execute("alter table people add column phone text")
        self.db.execute("update people set phone = contact")
        self.assertEqual(self.undecided(), ["people.phone"])
        self.db.execute("select anonkit_decide('people', 'phone', 'mask', 'phone')")
        self.assertEqual(self.undecided(), [])

        # A renamed column is another column: its old decision does not follow it.
        self.db.execute("alter table people rename column contact to contact_number")
        self.assertEqual(self.undecided(), ["people.contact_number"])
        self.db.execute("select anonkit_decide('people', 'contact_number', 'mask', 'phone')")

        # Re-created with `ref` moved and its type changed: the decision is stale.
        self.db.executescript("""
            create table people2(id integer primary key, ref varchar(11), notes text,
              contact_number text, amount real, quantity integer, payload text, mixed text,
              customer_id integer references customers(id), phone text);
            insert into people2 select id, ref, notes, contact_number, amount, quantity, payload,
              mixed, customer_id, phone from people;
            drop table people;
            alter table people2 rename to people;
        """)
        r = by_column(inventory(self.db, "select * from pii_inventory('people')"))
        self.assertEqual(r[("people", "ref")]["decision_state"], "stale")
        self.assertEqual(r[("people", "ref")]["undecided"], 1)
        self.assertIn("people.ref", self.undecided())
        self.db.execute("select anonkit_decide('people', 'ref', 'drop')")
        self.assertNotIn("people.ref", self.undecided())

    def test_bulk_decision_from_the_report(self):
        # The suggested strategies are valid ColumnMask specs: record them all in one statement.
        # (fetchall: Python steps a statement only as its rows are fetched; the shell steps all)
        self.db.execute("select anonkit_decide(table_name, column_name, 'mask', suggestion, "
                        "'initial review') from pii_inventory() where undecided").fetchall()
        self.assertEqual(self.undecided(), [])
        strategies = dict(self.db.execute(
            "select column_name, strategy from anonkit_column_decisions"))
        self.assertEqual(strategies["contact"], "phone")
        self.assertEqual(strategies["notes"], "text")

    def test_hand_written_decisions(self):
        with open(os.path.join(os.path.dirname(__file__), "../../sql/sqlite/anonkit_policy.sql"),
                  encoding="utf-8") as f:
            self.db.executescript(f.read())
        # Without a fingerprint a decision pins no column: stale (deny by default).
        self.db.execute("insert into anonkit_column_decisions(table_name, column_name, decision) "
                        "values ('people', 'contact', 'keep')")
        self.assertIn("people.contact", self.undecided())
        self.db.execute(
            "insert into anonkit_column_decisions(table_name, column_name, decision, "
            "column_fingerprint) values ('people', 'contact', 'keep', "
            "anonkit_column_fingerprint('people', 'contact'))")
        self.assertNotIn("people.contact", self.undecided())
        with self.assertRaises(sqlite3.IntegrityError):
            self.db.execute("insert into anonkit_column_decisions(table_name, column_name, "
                            "decision) values ('people', 'ref', 'maybe')")

    def test_errors(self):
        cases = [
            ("select anonkit_decide('people', 'nope', 'keep')", "has no column 'nope'"),
            ("select anonkit_decide('nope', 'a', 'keep')", "no table named 'nope'"),
            ("select anonkit_decide('people', 'ref', 'hide')", "'keep', 'mask' or 'drop'"),
            ("select anonkit_decide('people', 'ref', 'keep', 'phone')", "only with the decision"),
            ("select anonkit_decide('people', 'ref', 'mask', 'frob')", "unknown mask strategy"),
            ("select anonkit_decide('people', 'ref')", "takes (table, column, decision"),
            ("select * from pii_inventory('nope')", "no table named 'nope'"),
            ("select * from pii_inventory(NULL, '{\"rows\":0}')", "'rows' must be"),
            ("select * from pii_inventory(NULL, '{\"seconds\":-1}')", "'seconds' must be"),
            ("select * from pii_inventory(NULL, '{\"full\":1}')", "'full' must be true or false"),
            ("select * from pii_inventory(NULL, '{\"rows\":5,\"rows\":6}')", "given twice"),
            ("select * from pii_inventory(NULL, '{\"sample\":5}')", "unknown key 'sample'"),
            ("select * from pii_inventory(NULL, '[1]')", "a JSON object"),
            ("select * from pii_inventory(NULL, '{\"schema\":\"nope\"}')", "no database named"),
            ("select * from pii_inventory(5)", "expects table as TEXT"),
        ]
        for sql, message in cases:
            with self.subTest(sql=sql):
                with self.assertRaises(sqlite3.Error) as cm:
                    self.db.execute(sql).fetchall()
                self.assertTrue(str(cm.exception).startswith("anonkit:"), str(cm.exception))
                self.assertIn(message, str(cm.exception))

    def test_not_from_a_view_or_trigger(self):
        with self.assertRaises(sqlite3.Error):
            self.db.execute("create view v as select * from pii_inventory()")
            self.db.execute("select * from v").fetchall()
        self.db.execute("create table log(x)")
        self.db.execute("create trigger tr after insert on log begin "
                        "select anonkit_decide('people', 'ref', 'keep'); end")
        with self.assertRaises(sqlite3.Error):
            self.db.execute("insert into log values (1)")


def leaks(out, values):
    """What of `values` shows in `out`: a whole value, a run of 6+ digits of one, an e-mail's
    local part or domain name; and any run of 6 digits at all."""
    found = [m.group() for m in re.finditer(r"\d{6,}", out)]
    for value in values:
        parts = [value] + re.findall(r"\d{6,}", value)
        if "@" in value:
            local, domain = value.split("@")
            parts += [local, domain.rsplit(".", 1)[0]]
        found += [p for p in parts if p in out]
    return found


class NoPersonalValueInOutputTest(unittest.TestCase):
    """Every cell of every variant of the report: no planted value, no 6-digit run of one, and no
    6-digit run at all outside the numeric columns (a count or share is a number, never text)."""

    def test_no_value_leaks(self):
        db = connect()
        gen = make_planted(db, seed=16, rows=3000)
        # Values that are nothing but PII, and odd characters around them.
        db.execute("create table raw(v text, b blob)")
        extra = [gen.email(), gen.phone(), gen.kra_pin(), "Ünïcødé " + gen.email(),
                 "tel:" + gen.phone() + ";", "x" * 200 + gen.email()]
        db.executemany("insert into raw values (?, ?)",
                       [(v, v.encode()) for v in extra])
        db.execute("create table mails(e text)")
        db.executemany("insert into mails values (?)", [(gen.email(),) for _ in range(20)])
        db.commit()
        variants = [("select * from pii_inventory()", ()),
                    ("select * from pii_inventory(NULL, ?)", ('{"full":true}',)),
                    ("select * from pii_inventory(NULL, ?)", ('{"rows":7,"count":true}',)),
                    ("select * from pii_inventory('raw')", ())]
        numeric = {"rows_total", "rows_sampled", "non_null", "blobs", "share", "undecided"}
        texts = []
        for sql, args in variants:
            rows = inventory(db, sql, args)
            self.assertTrue(rows)
            for r in rows:
                for name, v in r.items():
                    if name in numeric:
                        self.assertIn(type(v), (int, float, type(None)), name)
                    elif name == "types":
                        for t in json.loads(v):
                            self.assertEqual(sorted(t), ["share", "type", "values"])
                            self.assertIsInstance(t["values"], int)
                            self.assertIsInstance(t["share"], (int, float))
                            texts.append(t["type"])
                    elif v is not None:
                        self.assertIsInstance(v, str, name)
                        texts.append(v)
        out = "\n".join(texts)
        self.assertIn("a***@***.", out)  # shapes are there (the test looks at real output)
        self.assertEqual(leaks(out, gen.values), [])
        # Negative control: the same check on pii_scan's matches (which are values) fails.
        matches = "\n".join(m for (m,) in db.execute(
            "select s.match from raw, pii_scan(raw.v) s"))
        self.assertGreaterEqual(len(leaks(matches, gen.values)), len(extra))
        raw = by_column(inventory(db, "select * from pii_inventory('raw')"))
        self.assertEqual(raw[("raw", "b")]["blobs"], len(extra))  # BLOBs counted, not read
        self.assertEqual(raw[("raw", "b")]["non_null"], 0)


class SamplingBoundTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.db = connect(os.path.join(cls.dir.name, "big.db"))
        cls.db.executescript("""
            create table big(id integer primary key, contact text, n integer);
            with recursive s(i) as (select 1 union all select i + 1 from s where i < 200000)
            insert into big select i, '07' || (10000000 + (i * 7919) % 89999999), i % 97 from s;
            create table keyed(k text primary key, v text) without rowid;
            insert into keyed select printf('k%06d', id), contact from big where id <= 5000;
        """)

    @classmethod
    def tearDownClass(cls):
        cls.db.close()
        cls.dir.cleanup()

    def test_bounded_by_rows(self):
        r = inventory(self.db, "select * from pii_inventory('big', '{\"rows\":1000}')")[0]
        self.assertLessEqual(r["rows_sampled"], 1000)
        self.assertEqual(r["rows_sampled"], 1000)  # dense rowids: every draw is a row
        self.assertEqual(r["sampling"], "random 1000 of ~200000")
        self.assertIsNone(r["rows_total"])
        c = inventory(self.db, "select * from pii_inventory('big', '{\"count\":true}')")[0]
        self.assertEqual((c["rows_total"], c["sampling"]), (200000, "random 1000 of 200000"))

    def test_full_scans_all(self):
        r = inventory(self.db, "select * from pii_inventory('big', '{\"full\":true}')")
        self.assertEqual({(x["rows_sampled"], x["rows_total"], x["sampling"]) for x in r},
                         {(200000, 200000, "full")})
        self.assertEqual(by_column(r)[("big", "contact")]["share"], 1.0)

    def test_sample_is_spread_over_the_table(self):
        # Only rows above 150,000 hold PII: a sample that read the first rows would find none.
        # Expected share 0.25; 5 sds of 1,000 draws: 0.069.
        self.db.execute("create table late as select id, case when id > 150000 then contact "
                        "else 'none' end as c from big")
        r = by_column(inventory(self.db, "select * from pii_inventory('late')"))[("late", "c")]
        self.assertLess(abs(r["share"] - 0.25), 5 * sd(0.25, 1000))

    def test_sparse_rowids(self):
        self.db.execute("create table sparse as select id * 1000 as id, contact from big "
                        "where id % 10 = 0")  # 20,000 rows spread over 200 million rowids
        self.db.execute("create table sparse2(id integer primary key, contact text)")
        self.db.execute("insert into sparse2 select id, contact from sparse")
        r = inventory(self.db, "select * from pii_inventory('sparse2')")[0]
        self.assertLessEqual(r["rows_sampled"], 1000)
        self.assertGreater(r["rows_sampled"], 900)
        self.assertIn("sparse rowids", r["sampling"])

    def test_time_limit_is_stated(self):
        r = inventory(self.db, "select * from pii_inventory('big', '{\"seconds\":1e-9}')")[0]
        self.assertLess(r["rows_sampled"], 1000)
        self.assertIn("time limit", r["sampling"])

    def test_without_rowid_falls_back_to_key_order(self):
        r = inventory(self.db, "select * from pii_inventory('keyed')")
        self.assertEqual(r[0]["sampling"], "first 1000 in primary-key order of more than 1000")
        self.assertEqual(r[0]["rows_sampled"], 1000)
        self.assertEqual(r[0]["key"], "pk")


class SchemaTest(unittest.TestCase):
    def test_what_is_inventoried_and_quoting(self):
        db = connect()
        db.executescript('''
            create table "odd ""name""" ("a""b" text, "rowid" text, c);
            insert into "odd ""name""" values ('x@example.org', 'y', 1);
            create table seq(id integer primary key autoincrement, v);
            insert into seq(v) values ('0712 345 678');
            create table anonkit_patterns(type, pattern);
            create view vw as select * from seq;
            create virtual table ft using fts5(body);
            create table gen(a text, b text generated always as (a || ' (copy)') virtual);
            insert into gen(a) values ('peter@example.com');
            create table u(id integer primary key, code text unique, x text);
        ''')
        tables = {r[0] for r in db.execute("select table_name from pii_inventory()")}
        self.assertEqual(tables, {'odd "name"', "seq", "gen", "u"})  # no sqlite_*, anonkit_*,
        # views, virtual or shadow tables
        r = by_column(inventory(db, "select * from pii_inventory('odd \"name\"')"))
        self.assertEqual(r[('odd "name"', 'a"b')]["top_type"], "EMAIL")
        self.assertEqual(by_column(inventory(db))[("gen", "b")]["top_type"], "EMAIL")
        self.assertEqual(by_column(inventory(db))[("u", "code")]["key"], "unique")
        with self.assertRaises(sqlite3.Error) as cm:
            db.execute("select * from pii_inventory('ft')").fetchall()
        self.assertIn("virtual table", str(cm.exception))
        db.execute("select anonkit_decide('odd \"name\"', 'A\"B', 'keep')")
        self.assertEqual(db.execute("select count(*) from pii_inventory('odd \"name\"') "
                                    "where undecided").fetchone(), (0,))

    def test_attached_schema(self):
        db = connect()
        db.execute("attach ':memory:' as aux")
        db.execute("create table aux.t(contact text)")
        db.execute("insert into aux.t values ('+254 712 345 678')")
        r = inventory(db, "select * from pii_inventory('aux.t')")
        self.assertEqual((r[0]["schema_name"], r[0]["table_name"], r[0]["top_type"]),
                         ("aux", "t", "PHONE"))
        r = inventory(db, "select * from pii_inventory(NULL, '{\"schema\":\"aux\"}')")
        self.assertEqual([x["column_name"] for x in r], ["contact"])
        self.assertEqual(inventory(db), [])  # main is empty
        db.execute("select anonkit_decide('aux.t', 'contact', 'keep')")
        self.assertEqual(db.execute(
            "select count(*) from aux.anonkit_column_decisions").fetchone(), (1,))
        r = inventory(db, "select * from pii_inventory('aux.t')")
        self.assertEqual((r[0]["decision_state"], r[0]["undecided"]), ("current", 0))


if __name__ == "__main__":
    unittest.main()
