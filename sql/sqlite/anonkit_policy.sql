-- The SQLite tables that hold a database's own recognizers. Read them into a database with
--   sqlite3 claims.db < sql/sqlite/anonkit_policy.sql
-- then fill them; the anonkit extension reads them when it loads and on anonkit_reload().

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
