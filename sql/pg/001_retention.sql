-- 001: the anonkit schema's first objects: retention rules and the log of what each run did.
-- Applied by `anonkit-worker install`, once, inside the installer's transaction.

CREATE TABLE anonkit.retention_rules (
  -- A stable number per rule: the key of the advisory lock that keeps two workers off one rule.
  id          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  name        text PRIMARY KEY CHECK (name <> ''),
  table_name  text NOT NULL,         -- schema-qualified, or resolved via the worker's search_path
  time_column text NOT NULL,         -- timestamptz, timestamp or date
  keep        interval NOT NULL CHECK (keep > interval '0'),
  action      text NOT NULL DEFAULT 'delete' CHECK (action IN ('delete', 'anonymize')),
  mask        jsonb CHECK (mask IS NULL OR jsonb_typeof(mask) = 'object'),  -- {"column": "strategy"}
  filter      text,                  -- an extra boolean SQL condition; rows outside it are never touched
  enabled     boolean NOT NULL DEFAULT true,
  CHECK (action <> 'anonymize' OR mask IS NOT NULL)
);

COMMENT ON TABLE anonkit.retention_rules IS
  'anonkit retention: rows of table_name whose time_column is older than now() - keep are deleted or anonymized';

-- One row per rule per run: counts and timings, never the personal data itself.
CREATE TABLE anonkit.runs (
  id                 bigserial PRIMARY KEY,
  rule               text NOT NULL,
  action             text NOT NULL,
  dry_run            boolean NOT NULL DEFAULT false,
  started_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at        timestamptz,
  cutoff             timestamptz,
  status             text NOT NULL DEFAULT 'running'
                     CHECK (status IN ('running', 'done', 'failed', 'skipped', 'stopped')),
  rows               bigint NOT NULL DEFAULT 0,
  batches            integer NOT NULL DEFAULT 0,
  partitions_dropped integer NOT NULL DEFAULT 0,
  longest_batch_ms   double precision,
  error              text,
  worker             text             -- host and process id of the worker
);
CREATE INDEX runs_rule_started ON anonkit.runs (rule, started_at DESC);
