-- 008: the data inventory's recorded decisions (docs/inventory.md). Coverage is deny by default:
-- a column holding personal data is undecided unless a retention rule's or erasure policy's mask
-- covers it, its table is part of a subject's data, or a row here decides it.
--
-- PostgreSQL records no column creation time, so a decision pins the column it was made for:
-- its attnum (a column dropped and added again gets a new one) and its type (format_type()).
-- When either differs from the catalog's, the decision is stale and the column undecided until it
-- is decided again. `anonkit-worker decide` fills both; a mask decision's strategy is checked by
-- the worker (ColumnMask), which SQL cannot call.
CREATE TABLE anonkit.column_decisions (
  table_name    text NOT NULL CHECK (table_name <> ''),   -- schema.table, as the inventory prints it
  column_name   text NOT NULL CHECK (column_name <> ''),
  decision      text NOT NULL CHECK (decision IN ('keep', 'mask', 'drop')),
  strategy      text CHECK (strategy <> ''),              -- a mask strategy ("phone", "text", ...)
  reason        text NOT NULL CHECK (btrim(reason) <> ''),
  column_attnum smallint NOT NULL CHECK (column_attnum > 0),
  column_type   text NOT NULL,
  decided_at    timestamptz NOT NULL DEFAULT now(),
  decided_by    text NOT NULL DEFAULT current_user,
  PRIMARY KEY (table_name, column_name),
  CHECK ((decision = 'mask') = (strategy IS NOT NULL))
);

COMMENT ON TABLE anonkit.column_decisions IS
  'anonkit inventory: what was decided for a column holding personal data; stale once the column is dropped and re-added or retyped (column_attnum, column_type)';
