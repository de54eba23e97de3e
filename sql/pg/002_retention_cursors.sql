-- 002: where each anonymize rule stopped, so no row is anonymized twice (a pseudonym of a
-- pseudonym would be a different value) and a killed run resumes where it left off. The cursor is
-- written in the same transaction as the batch it describes.

CREATE TABLE anonkit.retention_cursors (
  rule        text PRIMARY KEY REFERENCES anonkit.retention_rules (name)
                ON DELETE CASCADE ON UPDATE CASCADE,
  table_name  text NOT NULL,         -- the cursor is void when the rule moves to another table
  time_column text NOT NULL,
  last_time   text NOT NULL,         -- the last row done, in (time_column, primary key) order
  last_key    text[] NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
