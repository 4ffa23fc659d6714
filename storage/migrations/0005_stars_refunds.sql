-- A Telegram Stars payment can be refunded: while the shop waits for Telegram's answer the payment
-- is 'refunding' (its money has already left the customer's wallet). SQLite cannot change a CHECK
-- constraint, so the table is copied into one that allows the new status.
CREATE TABLE payments_new (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    method TEXT NOT NULL CHECK (method IN ('usdt', 'stars', 'manual')),
    user_id INTEGER REFERENCES users (id),
    request_id TEXT REFERENCES deposit_requests (id),
    paid INTEGER NOT NULL CHECK (paid > 0),
    credited INTEGER,
    status TEXT NOT NULL CHECK (status IN
        ('credited', 'unmatched', 'ignored', 'claimed', 'rejected', 'refunding', 'refunded')),
    sender TEXT NOT NULL DEFAULT '',
    paid_at TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    decided_by INTEGER,
    decided_at TEXT,
    note TEXT NOT NULL DEFAULT ''
);
INSERT INTO payments_new (id, reference, method, user_id, request_id, paid, credited, status,
                          sender, paid_at, seen_at, decided_by, decided_at, note)
    SELECT id, reference, method, user_id, request_id, paid, credited, status,
           sender, paid_at, seen_at, decided_by, decided_at, note FROM payments;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX payments_status ON payments (status, seen_at);
CREATE INDEX payments_user ON payments (user_id, seen_at);
