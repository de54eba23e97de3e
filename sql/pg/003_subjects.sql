-- 003: data subjects, the relations between their tables that are not foreign keys, what erasure
-- keeps, the request queue applications write into, and the audit of what access and erase did.

-- Where a data subject is rooted: ('customer', 'public.customers', 'id').
CREATE TABLE anonkit.subjects (
  name        text PRIMARY KEY CHECK (name <> ''),
  table_name  text NOT NULL,
  key_column  text NOT NULL
);

-- Relations the catalog does not know (support_tickets.email -> customers.email). They are followed
-- like foreign keys.
CREATE TABLE anonkit.links (
  id             serial PRIMARY KEY,
  child_table    text NOT NULL,
  child_columns  text[] NOT NULL,
  parent_table   text NOT NULL,
  parent_columns text[] NOT NULL,
  CHECK (cardinality(child_columns) > 0 AND cardinality(child_columns) = cardinality(parent_columns))
);

-- Tables whose rows must be kept (invoices under a legal hold): masked in place and detached from
-- the subject instead of deleted. A table without a row here is deleted from.
CREATE TABLE anonkit.erasure_policy (
  table_name  text PRIMARY KEY,
  action      text NOT NULL DEFAULT 'delete' CHECK (action IN ('delete', 'mask')),
  mask        jsonb CHECK (mask IS NULL OR jsonb_typeof(mask) = 'object'),
  reason      text,
  CHECK (action <> 'mask' OR mask IS NOT NULL)
);

-- The queue: applications insert, workers claim with FOR UPDATE SKIP LOCKED.
CREATE TABLE anonkit.requests (
  id            bigserial PRIMARY KEY,
  kind          text NOT NULL CHECK (kind IN ('access', 'erase')),
  subject       text NOT NULL,
  subject_key   text NOT NULL,
  status        text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'running', 'done', 'failed')),
  requested_at  timestamptz NOT NULL DEFAULT now(),
  due_at        timestamptz NOT NULL DEFAULT now() + interval '30 days',
  started_at    timestamptz,
  finished_at   timestamptz,
  attempts      integer NOT NULL DEFAULT 0,
  worker        text,
  result        jsonb,
  error         text
);
CREATE INDEX requests_open ON anonkit.requests (requested_at) WHERE status IN ('pending', 'running');

-- Receipts of access and erase: counts per table and the key hashed, never the personal data.
CREATE TABLE anonkit.audit (
  id               bigserial PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT clock_timestamp(),
  kind             text NOT NULL,
  subject          text NOT NULL,
  subject_key_hash text NOT NULL,
  request_id       bigint,
  dry_run          boolean NOT NULL DEFAULT false,
  counts           jsonb NOT NULL,
  note             text,
  worker           text
);

-- Tombstones: which subjects were erased, by hashed key, so that subjects a restored backup brought
-- back can be erased again (`anonkit-worker erase --replay`).
CREATE TABLE anonkit.erasures (
  subject          text NOT NULL,
  subject_key_hash text NOT NULL,
  erased_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (subject, subject_key_hash)
);
