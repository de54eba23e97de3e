-- 007: what a delete rule does beyond its own table. Deleting an expired parent cascades (ON
-- DELETE CASCADE, SET NULL, SET DEFAULT) to child rows that may be younger than the rule; a rule
-- with such a child fails validation unless it says the children may go (or change) with their
-- parents. DELETE triggers on the table (a history table keeps what is deleted) are reported in
-- the run's notes and by doctor.
ALTER TABLE anonkit.retention_rules ADD COLUMN may_cascade boolean NOT NULL DEFAULT false;
ALTER TABLE anonkit.runs ADD COLUMN notes text;
