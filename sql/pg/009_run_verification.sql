-- 009: verification after a run (`retention run --verify`, docs/worker.md). A run whose masked
-- values still hold a PII type the scanner finds ends as verify_failed (its writes stay
-- committed); what was found is kept as counts by table, column and type, never a value.
ALTER TABLE anonkit.runs DROP CONSTRAINT runs_status_check;
ALTER TABLE anonkit.runs ADD CONSTRAINT runs_status_check
  CHECK (status IN ('running', 'done', 'failed', 'skipped', 'stopped', 'verify_failed'));
ALTER TABLE anonkit.runs ADD COLUMN verification jsonb;
