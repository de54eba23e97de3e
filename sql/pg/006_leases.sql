-- 006: leases instead of session advisory locks. A lease is a row: whoever holds it renews it
-- between batches; it works through a transaction-pooling PgBouncer (no session state), takes
-- any bigint id, and says who holds it. A killed holder is recognised at once on its own machine
-- (its process is gone) and by expiry elsewhere.
CREATE TABLE anonkit.leases (
  resource    text PRIMARY KEY,          -- "retention:<rule id>"
  token       text NOT NULL,             -- random per acquisition
  host        text NOT NULL,             -- the holder's host name
  machine     text NOT NULL,             -- boot id and pid namespace: where `pid` means something
  pid         bigint NOT NULL,
  started     text NOT NULL,             -- the holder process's start time (kernel clock ticks)
  acquired_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at  timestamptz NOT NULL
);
