-- 005: anonymize rules revisit rows behind their cursor. A row can become eligible after the
-- cursor passed it (its filter column changed, it was inserted back-dated, the rule gained a mask
-- column or a wider filter); each run re-checks the rows behind the cursor that changed since the
-- last complete run (by the transaction that last wrote them) or all of them when the rule's masks
-- or filter changed.
ALTER TABLE anonkit.retention_cursors
  ADD COLUMN horizon bigint,   -- a transaction id (epoch-extended): every row version written
                               -- before it was checked by a complete run
  ADD COLUMN rule_digest text; -- SHA-256 of the masks and filter that check used

-- Keyed strategies (pseudonym, fpe) are not idempotent: a pseudonym of a pseudonym is a new value.
-- For each cell they wrote, the ledger keeps an HMAC of (table, column, primary key) and an HMAC
-- of the value written, both under the key file's key: no key or value is stored, and a cell is
-- masked again only when its value is no longer the one written. It belongs to the cells, not to
-- a rule: a rule dropped and created again, or a second rule on the same column, finds them.
CREATE TABLE anonkit.retention_ledger (
  cell    bytea PRIMARY KEY,
  written bytea NOT NULL
);
