-- The SQLite tables of a database's own policy: its recognizers (anonkit_patterns,
-- anonkit_keywords) and the data inventory's decisions (anonkit_column_decisions). Read them with
--   sqlite3 claims.db < sql/sqlite/anonkit_policy.sql
-- then fill them; the anonkit extension reads the recognizers when it loads and on anonkit_reload(),
-- the decisions whenever pii_inventory() runs.

-- RE2 patterns for types of your own (type: upper-case letters, digits, '_').
CREATE TABLE IF NOT EXISTS anonkit_patterns (
  type    TEXT NOT NULL CHECK (type GLOB '[A-Z]*' AND type NOT GLOB '*[^A-Z0-9_]*' AND length(type) <= 64),
  pattern TEXT NOT NULL
);

-- Keyword dictionaries: whole words, any case, e.g. member names or facility names.
CREATE TABLE IF NOT EXISTS anonkit_keywords (
  type    TEXT NOT NULL CHECK (type GLOB '[A-Z]*' AND type NOT GLOB '*[^A-Z0-9_]*' AND length(type) <= 64),
  keyword TEXT NOT NULL CHECK (trim(keyword) <> '')
);

-- The data inventory's recorded decisions (docs/inventory.md): one row per decision; the latest
-- (by decided_at, then by insertion) counts for its column. pii_inventory() reports a column that
-- holds PII as undecided unless its latest decision is well formed and was made for the column as
-- it is declared now: column_fingerprint is what anonkit_decide() records, and
-- anonkit_column_fingerprint(table, column) gives, for it: position, declared type, NOT NULL,
-- place in the primary key, generated ("#2 TEXT"). A row without one counts as no decision.
-- anonkit_decide() creates this table when it is missing.
CREATE TABLE IF NOT EXISTS anonkit_column_decisions (
  table_name         TEXT NOT NULL COLLATE NOCASE,
  column_name        TEXT NOT NULL COLLATE NOCASE,
  decision           TEXT NOT NULL CHECK (decision IN ('keep', 'mask', 'drop')),
  strategy           TEXT CHECK (strategy IS NULL OR decision = 'mask'),
  reason             TEXT,
  decided_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  column_fingerprint TEXT
);
