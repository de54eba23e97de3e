"""CREATE EXTENSION anonkit in a throw-away PostgreSQL (run under `pg_virtualenv -t`, which sets PG*):
regression checks for every function (NULLs, wrong types, huge values, invalid UTF-8, keys), then
a differential test: the same 10,000 values through the SQLite extension and the PostgreSQL one,
with the same key file, compared exactly.

PostgreSQL 15 loads extensions only from its own directories: the built files are copied into
`pg_config --pkglibdir` and `--sharedir`/extension for the run and removed (anything they replaced
restored) afterwards, also on failure."""
import atexit
import os
import pwd
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

import heldout

PG_MODULE = os.environ.get("ANONKIT_PG_MODULE", "../../build/pg_worker/extension/lib/anonkit.so")
PG_SHARE = os.environ.get("ANONKIT_PG_SHARE", "../../build/pg_worker/extension/share/extension")
SQLITE_EXTENSION = os.environ.get("ANONKIT_EXTENSION", "../../build/anonkit.so")
PG_CONFIG = os.environ.get("PG_CONFIG", "pg_config")
KEY_HEX = "00112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a6978"

_installed = []  # (target, backup or None)


def pg_config(flag):
    return subprocess.run([PG_CONFIG, flag], check=True, capture_output=True, text=True).stdout.strip()


def install(source, directory):
    target = os.path.join(directory, os.path.basename(source))
    backup = None
    if os.path.exists(target):
        backup = target + ".anonkit-test-backup"
        os.replace(target, backup)
    _installed.append((target, backup))
    shutil.copyfile(source, target)
    os.chmod(target, 0o644)


def uninstall():
    while _installed:
        target, backup = _installed.pop()
        if os.path.exists(target):
            os.remove(target)
        if backup:
            os.replace(backup, target)


def setUpModule():
    global KEY_DIR, KEY_FILE, OPEN_KEY_FILE, OTHER_KEY_FILE
    atexit.register(uninstall)
    install(os.path.abspath(PG_MODULE), pg_config("--pkglibdir"))
    share = os.path.join(pg_config("--sharedir"), "extension")
    for name in sorted(os.listdir(PG_SHARE)):
        install(os.path.join(PG_SHARE, name), share)
    # One key file for both extensions: the server's user (postgres) owns it, mode 0600.
    KEY_DIR = tempfile.mkdtemp(prefix="anonkit-pgext-")
    os.chmod(KEY_DIR, 0o755)
    pg_user = pwd.getpwnam("postgres")
    KEY_FILE = os.path.join(KEY_DIR, "anonkit.key")
    OPEN_KEY_FILE = os.path.join(KEY_DIR, "open.key")
    OTHER_KEY_FILE = os.path.join(KEY_DIR, "other.key")
    for path, mode, key in ((KEY_FILE, 0o600, KEY_HEX), (OPEN_KEY_FILE, 0o644, KEY_HEX),
                            (OTHER_KEY_FILE, 0o400, KEY_HEX[::-1])):
        with open(path, "w") as f:
            f.write(key + "\n")
        os.chown(path, pg_user.pw_uid, pg_user.pw_gid)
        os.chmod(path, mode)
    psql("DROP DATABASE IF EXISTS anonkit_ext")
    psql("CREATE DATABASE anonkit_ext")


def tearDownModule():
    psql("DROP DATABASE IF EXISTS anonkit_ext")
    shutil.rmtree(KEY_DIR, ignore_errors=True)
    uninstall()


class SqlError(Exception):
    def __init__(self, sqlstate, message):
        super().__init__(f"{sqlstate}: {message}")
        self.sqlstate, self.message = sqlstate, message


def psql(sql, database="postgres", options=None, user=None):
    """Runs `sql` in one session; returns stdout (unaligned, tuples only). An error raises SqlError
    with its SQLSTATE."""
    env = dict(os.environ)
    if options:
        env["PGOPTIONS"] = options
    cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", database]
    if user:
        cmd += ["-U", user]
    proc = subprocess.run(cmd, input="\\set VERBOSITY verbose\n" + sql, capture_output=True,
                          text=True, env=env)
    if proc.returncode != 0:
        m = re.search(r"ERROR:  ([0-9A-Z]{5}): (.*)", proc.stderr)
        if m:
            raise SqlError(m.group(1), m.group(2))
        raise RuntimeError(proc.stderr)
    return proc.stdout


def keyed(sql, key_file=None):
    return psql(sql, "anonkit_ext", options=f"-c anonkit.key_file={key_file or KEY_FILE}")


# COPY's text format: \N is NULL; backslash escapes.
_UNESCAPE = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v"}


def copy_field(s):
    if s == "\\N":
        return None
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(1)), s)


def copy_escape(v):
    if v is None:
        return "\\N"
    return (v.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
            .replace("\t", "\\t"))


def copy_rows(sql, key_file=None):
    out = keyed(f"COPY ({sql}) TO STDOUT", key_file)
    return [tuple(copy_field(f) for f in line.split("\t")) for line in out.split("\n") if line]


class Regression(unittest.TestCase):
    """Every function: results, NULLs, wrong types, huge values, invalid UTF-8, keys, errors."""

    @classmethod
    def setUpClass(cls):
        psql("CREATE EXTENSION anonkit", "anonkit_ext")
        psql("ALTER DATABASE anonkit_ext SET search_path = public, anonkit", "anonkit_ext")

    def one(self, sql, key_file=None):
        return keyed(f"SELECT {sql}", key_file).rstrip("\n")

    def error(self, sql, sqlstate, message, key_file=None):
        with self.assertRaises(SqlError) as raised:
            keyed(sql, key_file)
        self.assertEqual(raised.exception.sqlstate, sqlstate, raised.exception)
        self.assertIn(message, raised.exception.message)
        return raised.exception

    def test_installed_in_schema_anonkit(self):
        self.assertEqual(psql("SELECT extnamespace::regnamespace FROM pg_extension "
                              "WHERE extname = 'anonkit'", "anonkit_ext").strip(), "anonkit")
        self.assertEqual(self.one("anonkit.anonkit_version()"), "0.1.0")
        # Volatility as declared: masks IMMUTABLE, keyed functions STABLE, all PARALLEL SAFE.
        rows = psql("SELECT DISTINCT proname, provolatile, proparallel, proisstrict FROM pg_proc "
                    "WHERE pronamespace = 'anonkit'::regnamespace ORDER BY 1", "anonkit_ext")
        flags = {r.split("|")[0]: tuple(r.split("|")[1:]) for r in rows.split()}
        for name in ("mask", "mask_tokens", "unmask", "pii_scan", "pii_types", "bucket"):
            self.assertEqual(flags[name], ("i", "s", "t"), name)
        for name in ("pseudonym", "pseudonym_int", "fpe_encrypt", "fpe_decrypt"):
            self.assertEqual(flags[name], ("s", "s", "t"), name)

    def test_mask(self):
        self.assertEqual(self.one("mask('mail jane@example.com or +254 712 345 678')"),
                         "mail [EMAIL] or [PHONE]")
        self.assertEqual(self.one("mask('nothing here')"), "nothing here")
        self.assertEqual(self.one("mask('4111 1111 1111 1234', 'card')"), "**** **** **** 1234")
        self.assertEqual(self.one("mask('jane@example.com', 'EMAIL')"),
                         self.one("mask('jane@example.com', 'email')"))
        partial = self.one("mask('mail jane@example.com', '{\"style\":\"partial\"}')")
        self.assertEqual(partial, self.one(
            "mask('mail jane@example.com', '{\"style\":\"partial\"}'::jsonb)"))
        self.assertEqual(partial, self.one(
            "mask('mail jane@example.com', '{\"style\":\"partial\"}'::json)"))
        self.assertNotEqual(partial, "mail [EMAIL]")
        self.assertEqual(self.one("mask('a@b.co and 0712345678', "
                                  "'{\"types\":[\"PHONE\"]}'::jsonb)"), "a@b.co and [PHONE]")
        self.assertEqual(self.one("mask_partial('0712345678', 2, 3)"), "07*****678")
        self.assertEqual(self.one("mask_partial('0712345678', 2, 3, '#')"), "07#####678")
        for sql in ("mask(NULL)", "mask(NULL, 'card')", "mask('x', NULL::text)",
                    "mask_partial(NULL, 1, 1)", "mask_tokens(NULL)", "unmask(NULL, '{}')"):
            self.assertEqual(self.one(f"{sql} IS NULL"), "t", sql)
        self.error("SELECT mask('a', 'nope')", "22023", "anonkit: mask() got unknown type 'nope'")
        self.error("SELECT mask('a', '{\"style\":\"loud\"}'::jsonb)", "22023", "anonkit:")
        self.error("SELECT mask('a', '\"email\"'::jsonb)", "22023", "anonkit:")
        self.error("SELECT mask_partial('a', -1, 0)", "22023", "anonkit:")
        self.error("SELECT mask(42)", "42883", "does not exist")  # a number needs ::text
        self.error("SELECT mask('a', '\\x00'::bytea)", "42804", "got bytea")

    def test_tokens_round_trip(self):
        text = "Call Jane Wanjiku on 0712 345 678 or jane@example.com; again 0712 345 678"
        tokens = keyed(f"SELECT mask_tokens('{text}')").strip()
        self.assertIn('"text":', tokens)
        self.assertEqual(self.one(f"unmask(mask_tokens('{text}')->>'text', "
                                  f"mask_tokens('{text}')->'items')"), text)
        self.assertEqual(self.one(f"unmask(mask_tokens('{text}')->>'text', "
                                  f"(mask_tokens('{text}')->'items')::jsonb)"), text)
        self.assertEqual(self.one(f"(mask_tokens('{text}', '{{\"types\":[\"EMAIL\"]}}')->>'text')"),
                         "Call Jane Wanjiku on 0712 345 678 or [EMAIL_1]; again 0712 345 678")
        self.error("SELECT unmask('a', '[')", "22023", "anonkit: unmask expects the items")

    def test_pii_scan_and_types(self):
        rows = keyed("SELECT type, start, length, match FROM pii_scan('Müller: jane@example.com')")
        self.assertEqual(rows.strip(), "EMAIL|9|16|jane@example.com")
        # start counts characters, as substr() does
        self.assertEqual(self.one("(SELECT substr(t, start, length) FROM (SELECT 'Zoë — 0712 345 "
                                  "678' t) x, pii_scan(t))"), "0712 345 678")
        self.assertEqual(self.one("count(*) FROM pii_scan(NULL)"), "0")
        self.assertEqual(self.one("count(*) FROM pii_scan('a@b.co 0712345678', "
                                  "'{\"types\":[\"EMAIL\"]}')"), "1")
        self.assertEqual(self.one("count(*) FROM pii_scan('a@b.co 0712345678', "
                                  "'{\"types\":[\"EMAIL\"]}'::jsonb)"), "1")
        types = self.one("string_agg(type, ',') FROM pii_types()").split(",")
        self.assertIn("EMAIL", types)
        self.assertIn("CREDIT_CARD", types)
        self.assertEqual(self.one("count(*) FROM pii_types() WHERE description = ''"), "0")
        # A lateral join over a table, the usual form.
        self.assertEqual(self.one("count(*) FROM (VALUES ('a@b.co'), (NULL), ('x y')) t(v), "
                                  "pii_scan(t.v)"), "1")

    def test_huge_values(self):
        n = 100000
        self.assertEqual(self.one(f"length(mask(repeat('jane@example.com ', {n})))"),
                         str(len("[EMAIL] ") * n))
        self.assertEqual(self.one(f"count(*) FROM pii_scan(repeat('a@b.co ', {n}))"), str(n))
        self.assertEqual(self.one(f"length(mask(repeat('é', 5000000)))"), "5000000")
        self.assertEqual(self.one("length(mask(repeat('x', 50000000)))"), "50000000")
        self.assertEqual(self.one(f"length(pseudonym(repeat('x', 10000000)))") != "", True)
        self.assertEqual(self.one(f"length(fpe_encrypt(repeat('1', 4096)))"), "4096")
        self.error("SELECT fpe_encrypt(repeat('1', 100000))", "22023", "at most 4096")

    def test_invalid_utf8_never_reaches_the_functions(self):
        # PostgreSQL refuses it at input; what reaches mask() is always valid UTF-8.
        self.error("SELECT mask(convert_from('\\xff41'::bytea, 'UTF8'))", "22021", "invalid byte")
        self.error("SELECT mask(E'\\xff')", "22021", "invalid byte")

    def test_bucket(self):
        cases = {
            "bucket(42, 10)": "40-49",
            "bucket(42::bigint, 10)": "40-49",
            "bucket(42::smallint, 10, 5)": "35-44",
            "bucket(-3, 10)": "-10--1",
            "bucket(42.5, 10)": "[40,50)",
            "bucket(42.0, 10)": "[40,50)",
            "bucket(42::float8, 10)": "[40,50)",
            "bucket(42, 2.5)": "[40,42.5)",
            "bucket('42', 10)": "40-49",
            "bucket(17, '[0,18,30,50,65]')": "0-17",
            "bucket(70::numeric, '[0,18,30,50,65]')": "65+",
            "bucket(0.7, '[0.5,1.5]')": "[0.5,1.5)",
            "bucket(date '2024-03-15', 'month')": "2024-03",
            "bucket(date '2024-03-15', 'quarter')": "2024-Q1",
            "bucket(timestamp '2024-03-15 14:30:05', 'hour')": "2024-03-15 14:00",
            "bucket(timestamptz '2024-03-15 00:30:00+03', 'day')": "2024-03-14",
            "bucket('2024-03-15T14:30:00Z', 'week')": "2024-W11",
            "bucket(1710460800, 'day')": "2024-03-15",
        }
        for sql, expected in cases.items():
            self.assertEqual(self.one(sql), expected, sql)
        self.assertEqual(self.one("bucket(NULL::int, 10) IS NULL"), "t")
        self.error("SELECT bucket(42, 0)", "22023", "anonkit:")
        self.error("SELECT bucket('abc', 10)", "22023", "expects the value as a number")
        self.error("SELECT bucket(1, '[3,2]')", "22023", "anonkit:")
        self.error("SELECT bucket(date '2024-03-15', 'fortnight')", "22023", "anonkit: bucket()")
        self.error("SELECT bucket('yesterday', 'day')", "22023", "expects a date")
        self.error("SELECT bucket(date 'infinity', 'day')", "22023", "finite date")
        self.error("SELECT bucket(timestamp '20000-01-01', 'year')", "22023", "expects a date")
        self.error("SELECT bucket('NaN'::float8, 10)", "22023", "anonkit:")
        self.error("SELECT bucket('NaN'::numeric, 10)", "22023", "anonkit:")

    def test_no_key(self):
        with self.assertRaises(SqlError) as raised:
            psql("SELECT anonkit.pseudonym('x')", "anonkit_ext")
        self.assertEqual(raised.exception.sqlstate, "55000")
        self.assertIn("anonkit: no key configured", raised.exception.message)
        with self.assertRaises(SqlError):
            psql("SELECT anonkit.fpe_encrypt('123456')", "anonkit_ext")
        self.assertEqual(psql("SELECT anonkit.anonkit_key_id() IS NULL", "anonkit_ext").strip(), "t")
        # NULL in, NULL out, even without a key (STRICT).
        self.assertEqual(psql("SELECT anonkit.pseudonym(NULL::text) IS NULL", "anonkit_ext").strip(),
                         "t")

    def test_key_file_checks(self):
        e = self.error("SELECT pseudonym('x')", "F0000", "accessible by group or others",
                       key_file=OPEN_KEY_FILE)
        self.assertNotIn(KEY_HEX, str(e))
        self.error("SELECT pseudonym('x')", "F0000", "cannot open key file",
                   key_file=os.path.join(KEY_DIR, "missing.key"))
        # A session that fixes its setting gets the key without reconnecting.
        out = keyed(f"DO $$ BEGIN PERFORM anonkit.pseudonym('x'); EXCEPTION WHEN OTHERS THEN "
                    f"NULL; END $$; SET anonkit.key_file = '{KEY_FILE}'; "
                    f"SELECT anonkit.pseudonym('x') = anonkit.pseudonym('x');", OPEN_KEY_FILE)
        self.assertEqual(out.strip(), "t")

    def test_only_a_superuser_sets_the_key_file(self):
        psql("DROP ROLE IF EXISTS anonkit_plain; CREATE ROLE anonkit_plain LOGIN PASSWORD 'p'; "
             "GRANT USAGE ON SCHEMA anonkit TO anonkit_plain", "anonkit_ext")
        env_password = os.environ.get("PGPASSWORD")
        os.environ["PGPASSWORD"] = "p"
        try:
            with self.assertRaises(SqlError) as raised:
                psql(f"SELECT anonkit.anonkit_version(); SET anonkit.key_file = '{KEY_FILE}'", "anonkit_ext",
                     user="anonkit_plain")
            self.assertEqual(raised.exception.sqlstate, "42501")
            # A superuser's setting (here for the role) is used by the plain role's calls.
        finally:
            if env_password is None:
                os.environ.pop("PGPASSWORD")
            else:
                os.environ["PGPASSWORD"] = env_password
        psql(f"ALTER ROLE anonkit_plain SET anonkit.key_file = '{KEY_FILE}'", "anonkit_ext")
        os.environ["PGPASSWORD"] = "p"
        try:
            out = psql("SELECT anonkit.pseudonym('x')", "anonkit_ext", user="anonkit_plain").strip()
        finally:
            os.environ["PGPASSWORD"] = env_password or ""
        self.assertEqual(out, self.one("pseudonym('x')"))
        # The key is in no catalog and no setting: only its path is.
        catalog = psql("SELECT string_agg(setconfig::text, ' ') FROM pg_db_role_setting; "
                       "SELECT string_agg(setting, ' ') FROM pg_settings", "anonkit_ext")
        self.assertNotIn(KEY_HEX, catalog)
        psql("DROP OWNED BY anonkit_plain; ALTER ROLE anonkit_plain RESET ALL; "
             "DROP ROLE anonkit_plain", "anonkit_ext")

    def test_pseudonym_and_fpe(self):
        p = self.one("pseudonym('42')")
        self.assertTrue(p)
        for sql in ("pseudonym(42)", "pseudonym(42::bigint)", "pseudonym(42.0)",
                    "pseudonym(42::float8)", "pseudonym(42.00::numeric(10,2))", "pseudonym('42'::varchar)"):
            self.assertEqual(self.one(sql), p, sql)
        self.assertNotEqual(self.one("pseudonym('42.0')"), p)  # text is taken as written
        self.assertRegex(self.one("pseudonym('jane@example.com', 'email')"), r"^[^@\s]+@[^@\s]+$")
        self.assertEqual(self.one("pseudonym(7, 'int')"), self.one("pseudonym_int(7)"))
        self.assertEqual(self.one("pseudonym('7', 'int')"), self.one("pseudonym_int(7)"))
        self.error("SELECT pseudonym('x', 'int')", "22023", "expects an integer")
        self.error("SELECT pseudonym('x', 'token')", "22023", "type must be")
        self.error("SELECT pseudonym('\\x00'::bytea)", "42804", "got bytea")
        self.assertRegex(self.one("anonkit_key_id()"), r"^ak1:[0-9a-f]{16}$")
        for value, alphabet in (("4111 1111 1111 1234", "digits"), ("AB12CD", "alnum"),
                                ("0712-345-678", "digits"), ("deadbeef", "hex")):
            enc = self.one(f"fpe_encrypt('{value}', '{alphabet}')")
            self.assertEqual(len(enc), len(value))
            self.assertNotEqual(enc, value)
            self.assertEqual(self.one(f"fpe_decrypt(fpe_encrypt('{value}', '{alphabet}'), "
                                      f"'{alphabet}')"), value)
        self.error("SELECT fpe_encrypt('123', 'a')", "22023", "anonkit:")

    def test_untyped_parameters(self):
        # A driver's $1 without a type (libpq, libpqxx, psycopg 3) resolves to the text overloads.
        out = keyed("""
            PREPARE m AS SELECT anonkit.mask($1, $2); EXECUTE m('4111 1111 1111 1234', 'card');
            PREPARE o AS SELECT anonkit.mask($1, $2); EXECUTE o('a@b.co', '{"style":"token"}');
            PREPARE p AS SELECT anonkit.pseudonym($1) = anonkit.pseudonym(42); EXECUTE p('42');
            PREPARE q AS SELECT anonkit.pseudonym($1, $2) <> ''; EXECUTE q('a@b.co', 'email');
            PREPARE s AS SELECT count(*) FROM anonkit.pii_scan($1, $2); EXECUTE s('a@b.co', '{}');
            PREPARE b AS SELECT anonkit.bucket($1, $2); EXECUTE b('2024-03-15', 'month');""")
        self.assertEqual(out.strip().split("\n"), ["**** **** **** 1234", "[EMAIL_1]", "t", "t", "1", "2024-03"])

    def test_errors_leave_the_session_usable(self):
        # Many failures in one session, each caught: nothing leaks through the C/C++ boundary.
        out = keyed("""
            DO $$ DECLARE n int := 0; BEGIN
              FOR i IN 1..2000 LOOP
                BEGIN PERFORM anonkit.mask('a', 'nope'); EXCEPTION WHEN invalid_parameter_value THEN n := n + 1; END;
                BEGIN PERFORM anonkit.bucket(1, 0); EXCEPTION WHEN invalid_parameter_value THEN n := n + 1; END;
                BEGIN PERFORM anonkit.unmask('a', '['); EXCEPTION WHEN invalid_parameter_value THEN n := n + 1; END;
                BEGIN PERFORM count(*) FROM anonkit.pii_scan('a@b.co', '{"types":1}'); EXCEPTION WHEN invalid_parameter_value THEN n := n + 1; END;
              END LOOP;
              RAISE NOTICE 'caught %', n;
            END $$;
            SELECT anonkit.mask('a@x.com');""")
        self.assertEqual(out.strip(), "[EMAIL]")

    def test_parallel_workers_agree(self):
        out = keyed("""
            CREATE TEMP TABLE p AS SELECT i, 'user' || i || '@example.com' AS e FROM generate_series(1, 20000) i;
            ANALYZE p;
            CREATE TEMP TABLE serial AS SELECT i, anonkit.pseudonym(e, 'email') AS x, anonkit.mask(e) AS m FROM p;
            SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
            SET force_parallel_mode = on;
            SELECT count(*) FROM p JOIN serial USING (i)
             WHERE anonkit.pseudonym(p.e, 'email') = serial.x AND anonkit.mask(p.e) = serial.m;""")
        self.assertEqual(out.strip().split("\n")[-1], "20000")


# ---- the differential test ---------------------------------------------------------------------

MASK_TYPES = ["email", "phone", "card", "iban", "ssn", "name", "ip", "mac", "url", "date", "id", "all"]
PSEUDONYM_TYPES = [None, "email", "name"]  # 'phone' needs 4 digits: over nums.phone


def generated_values(n=10000, seed=15):
    """Every PII type, free text in several languages, Unicode, NULLs: (id, text) pairs."""
    g = heldout.Gen(seed)
    r = random.Random(seed)
    unicode_bits = ["Zoë", "Ångström", "Łódź", "東京都", "Mwanaisha", "😀 emoji", "\u200bzero\u200bwidth",
                    "١٢٣٤٥٦٧٨٩٠", "０７１２ ３４５ ６７８", "naïve café", "Ωμέγα", "\u00a0nbsp\u00a0"]
    makers = [g.phone, g.email, g.card, g.iban, g.kra, g.national_id, g.ip, g.mac, g.dob, g.negative,
              lambda: g.document()[0], lambda: g.document()[0],
              lambda: f"https://example.org/u/{g.digits(5)}?mail={g.email()}",
              lambda: f"{r.choice(heldout.FIRST)} {r.choice(heldout.LAST)}",
              lambda: f"SSN {g.digits(3)}-{g.digits(2)}-{g.digits(4)}",
              lambda: " ".join(r.choice(unicode_bits) for _ in range(r.randrange(1, 6))),
              lambda: r.choice(unicode_bits) + " " + g.phone() + " " + r.choice(unicode_bits),
              lambda: "",
              lambda: g.digits(r.randrange(1, 20))]
    values = []
    for i in range(n):
        v = None if r.random() < 0.04 else r.choice(makers)()
        values.append((i, v))
    return values


class Differential(unittest.TestCase):
    """The same values through SQLite's anonkit.so and PostgreSQL's, the same key: equal outputs."""

    @classmethod
    def setUpClass(cls):
        psql("CREATE DATABASE anonkit_diff")
        psql("CREATE EXTENSION anonkit; CREATE TABLE v (id int PRIMARY KEY, v text);"
             "CREATE TABLE nums (id int PRIMARY KEY, i bigint, r float8, d text, ts text, phone text)",
             "anonkit_diff")
        cls.values = generated_values()
        r = random.Random(1515)
        phones = heldout.Gen(1515)
        cls.nums = []
        for i in range(2000):
            real = r.choice([r.uniform(-1e6, 1e6), float(r.randrange(-500, 500)), r.uniform(0, 1)])
            digits = "".join(str(r.randrange(10)) for _ in range(r.randrange(6, 20)))
            ts = f"{r.randrange(1900, 2100):04d}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}"
            if r.random() < 0.5:
                ts += f" {r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d}"
            cls.nums.append((i, r.randrange(-10**12, 10**12), real, digits, ts, phones.phone()))
        data = "".join(f"{i}\t{copy_escape(v)}\n" for i, v in cls.values)
        psql("COPY v FROM STDIN;\n" + data + "\\.\n", "anonkit_diff")
        data = "".join(f"{i}\t{a}\t{b!r}\t{c}\t{d}\t{e}\n" for i, a, b, c, d, e in cls.nums)
        psql("COPY nums FROM STDIN;\n" + data + "\\.\n", "anonkit_diff")
        os.environ["ANONKIT_KEY_FILE"] = KEY_FILE
        try:
            cls.lite = sqlite3.connect(":memory:")
            cls.lite.enable_load_extension(True)
            cls.lite.load_extension(os.path.splitext(os.path.abspath(SQLITE_EXTENSION))[0])
        finally:
            del os.environ["ANONKIT_KEY_FILE"]
        cls.lite.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, v TEXT)")
        cls.lite.executemany("INSERT INTO v VALUES (?, ?)", cls.values)
        cls.lite.execute("CREATE TABLE nums (id INTEGER PRIMARY KEY, i INTEGER, r REAL, d TEXT, ts TEXT, "
                         "phone TEXT)")
        cls.lite.executemany("INSERT INTO nums VALUES (?, ?, ?, ?, ?, ?)", cls.nums)

    @classmethod
    def tearDownClass(cls):
        cls.lite.close()
        psql("DROP DATABASE IF EXISTS anonkit_diff")

    def pg(self, sql, key_file=None):
        out = psql(f"SET search_path = public, anonkit; COPY ({sql}) TO STDOUT", "anonkit_diff",
                   options=f"-c anonkit.key_file={key_file or KEY_FILE}")
        return [tuple(copy_field(f) for f in line.split("\t")) for line in out.split("\n") if line]

    def compare(self, name, sqlite_sql, pg_sql, convert=str):
        lite = [tuple(None if x is None else convert(x) for x in row)
                for row in self.lite.execute(sqlite_sql)]
        pg = [tuple(None if x is None else convert(x) for x in row) for row in self.pg(pg_sql)]
        self.assertEqual(len(lite), len(pg), name)
        mismatches = [(a, b) for a, b in zip(lite, pg) if a != b]
        self.assertEqual(mismatches[:5], [], f"{name}: {len(mismatches)} of {len(lite)} differ")
        print(f"  {name}: {len(lite)} rows equal", file=sys.stderr)
        return len(lite)

    def test_same_outputs(self):
        total = 0
        cols = ["mask(v)", "mask(v, '{\"style\":\"partial\"}')", "mask(v, '{\"style\":\"token\"}')",
                "mask(v, '{\"types\":[\"EMAIL\",\"PHONE\"],\"min_confidence\":0.6}')",
                "mask_tokens(v)"]
        cols += [f"mask(v, '{t}')" for t in MASK_TYPES]
        cols += ["pseudonym(v)"] + [f"pseudonym(v, '{t}')" for t in PSEUDONYM_TYPES if t]
        for col in cols:
            total += self.compare(col, f"SELECT id, {col} FROM v ORDER BY id",
                                  f"SELECT id, {col} FROM v ORDER BY id")
        total += self.compare(
            "pii_scan", "SELECT id, s.type, s.start, s.length, s.match, s.confidence FROM v, "
                        "pii_scan(v.v) s ORDER BY id, s.start",
            "SELECT id, s.type, s.start, s.length, s.match, s.confidence FROM v, "
            "pii_scan(v.v) s ORDER BY id, s.start")
        num_cols = {
            "pseudonym(i)": "pseudonym(i)", "pseudonym(r)": "pseudonym(r)",
            "pseudonym(i, 'int')": "pseudonym(i, 'int')",
            "pseudonym(phone, 'phone')": "pseudonym(phone, 'phone')",
            "pseudonym(d, 'phone')": "pseudonym(d, 'phone')",
            "mask(phone)": "mask(phone)",
            "fpe_encrypt(d)": "fpe_encrypt(d)", "fpe_encrypt(d, 'alnum')": "fpe_encrypt(d, 'alnum')",
            "fpe_decrypt(d)": "fpe_decrypt(d)",
            "bucket(i, 1000)": "bucket(i, 1000)", "bucket(i, 7, 3)": "bucket(i, 7, 3)",
            "bucket(r, 10)": "bucket(r, 10)", "bucket(r, 2.5, 0.5)": "bucket(r, 2.5, 0.5)",
            "bucket(r, '[0,18,30,50,65]')": "bucket(r, '[0,18,30,50,65]')",
            "bucket(r, '[-0.5,0.25,1e5]')": "bucket(r, '[-0.5,0.25,1e5]')",
        }
        for unit in ("year", "quarter", "month", "week", "day", "hour"):
            num_cols[f"bucket(ts, '{unit}')"] = f"bucket(ts, '{unit}')"
            num_cols[f"bucket(ts::timestamp, '{unit}')"] = f"bucket(ts::timestamp, '{unit}')"
        for name, col in num_cols.items():
            lite_col = col.replace("ts::timestamp", "ts")
            total += self.compare(name, f"SELECT id, {lite_col} FROM nums ORDER BY id",
                                  f"SELECT id, {col} FROM nums ORDER BY id")
        # 42, 42.0 and '42' agree across both.
        total += self.compare("pseudonym(42 / 42.0 / '42')",
                              "SELECT pseudonym(42), pseudonym(42.0), pseudonym('42')",
                              "SELECT pseudonym(42), pseudonym(42.0), pseudonym('42')")
        self.assertEqual(self.lite.execute("SELECT anonkit_key_id()").fetchone()[0],
                         self.pg("SELECT anonkit_key_id()")[0][0])
        print(f"differential: {total} rows compared, all equal", file=sys.stderr)

    def test_negative_control(self):
        # Another key (and a wrong mask type) gives other outputs: the comparison can fail.
        sql = "SELECT id, pseudonym(v) FROM v WHERE v IS NOT NULL ORDER BY id"
        lite = self.lite.execute(sql).fetchall()
        other = self.pg(sql, OTHER_KEY_FILE)
        self.assertEqual(len(lite), len(other))
        self.assertEqual(sum(1 for a, b in zip(lite, other) if a[1] == b[1]), 0)
        lite = self.lite.execute("SELECT id, mask(v, 'email') FROM v ORDER BY id").fetchall()
        pg = self.pg("SELECT id, mask(v, 'phone') FROM v ORDER BY id")
        self.assertGreater(sum(1 for a, b in zip(lite, pg) if a[1] != b[1]), 1000)


if __name__ == "__main__":
    unittest.main()
