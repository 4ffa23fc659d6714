-- Work done once across shop processes on one database: see ../0011_leases.sql for what each
-- column means.
CREATE TABLE leases (
    name TEXT COLLATE "C" PRIMARY KEY,
    holder TEXT COLLATE "C" NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL,
    taken_at DOUBLE PRECISION NOT NULL,
    renewed_at DOUBLE PRECISION NOT NULL,
    term BIGINT NOT NULL DEFAULT 1
);

ALTER TABLE outbox ADD COLUMN claimed_by TEXT COLLATE "C";
ALTER TABLE outbox ADD COLUMN claimed_until DOUBLE PRECISION;
