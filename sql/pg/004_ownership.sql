-- 004: owned parents (parent rows that belong to whoever owns the row referencing them: a
-- customer's own address), and no personal data in the worker's own tables: a finished request
-- keeps only the keyed hash of its key, and access exports live in files, never in `result`.

CREATE TABLE anonkit.owned_parents (
  id             serial PRIMARY KEY,
  child_table    text NOT NULL,
  child_columns  text[] NOT NULL,
  parent_table   text NOT NULL,
  parent_columns text[] NOT NULL,
  reason         text,
  CHECK (cardinality(child_columns) > 0 AND cardinality(child_columns) = cardinality(parent_columns))
);

ALTER TABLE anonkit.requests ALTER COLUMN subject_key DROP NOT NULL;
ALTER TABLE anonkit.requests ADD COLUMN subject_key_hash text;
ALTER TABLE anonkit.requests ADD CONSTRAINT requests_key_present
  CHECK (subject_key IS NOT NULL OR subject_key_hash IS NOT NULL);
-- Exports kept by earlier versions are personal data: they go.
UPDATE anonkit.requests SET result = NULL WHERE kind = 'access';
