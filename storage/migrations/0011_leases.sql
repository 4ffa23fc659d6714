-- Work done once across shop processes on one database.
--
-- A lease is a named right to do some work for a while: `leader` (the singleton jobs: the USDT
-- watch, the daily report, ...) or one queue item being worked on (`order:<id>`). It is taken or
-- renewed by one conditional upsert: free, expired or already the holder's. Times are seconds
-- since the epoch by the database's own clock, so the processes' clocks never have to agree.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at REAL NOT NULL,
    taken_at REAL NOT NULL,
    renewed_at REAL NOT NULL,
    term INTEGER NOT NULL DEFAULT 1
);

-- An outbox message being sent by one process: others leave it alone until `claimed_until`.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until REAL;
