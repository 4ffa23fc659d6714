-- Money in. A customer opens a deposit request (how much, by which way, until when); a payment is
-- what arrived from outside (a USDT transfer, a Telegram Stars payment, a transfer the customer
-- claims by its hash). A payment's reference is credited at most once: it is unique here and, as
-- `deposit:<reference>`, the idempotency key of its ledger transaction.
CREATE TABLE deposit_requests (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    method TEXT NOT NULL CHECK (method IN ('usdt', 'stars', 'manual')),
    amount INTEGER NOT NULL CHECK (amount > 0),   -- micro-units of the shop's currency asked for
    pay_amount INTEGER NOT NULL CHECK (pay_amount > 0),  -- what to pay: USDT micro-units, Stars
    status TEXT NOT NULL CHECK (status IN ('open', 'credited', 'expired', 'cancelled')),
    return_to TEXT,                                -- the purchase to go back to once credited
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX deposit_requests_user ON deposit_requests (user_id, created_at);
CREATE INDEX deposit_requests_matching ON deposit_requests (method, pay_amount, status);

CREATE TABLE payments (
    id INTEGER PRIMARY KEY,                        -- what operators' buttons name
    reference TEXT NOT NULL UNIQUE,                -- usdt:<txid>, stars:<charge id>
    method TEXT NOT NULL CHECK (method IN ('usdt', 'stars', 'manual')),
    user_id INTEGER REFERENCES users (id),         -- NULL while nobody is known to have paid it
    request_id TEXT REFERENCES deposit_requests (id),
    paid INTEGER NOT NULL CHECK (paid > 0),        -- in the method's unit: USDT micro-units, Stars
    credited INTEGER,                              -- micro-units of the shop's currency, once credited
    status TEXT NOT NULL CHECK (status IN
        ('credited', 'unmatched', 'ignored', 'claimed', 'rejected', 'refunded')),
    sender TEXT NOT NULL DEFAULT '',
    paid_at TEXT NOT NULL,                         -- when it was paid, as the payer's side says
    seen_at TEXT NOT NULL,
    decided_by INTEGER,                            -- the operator who assigned, ignored, approved
    decided_at TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX payments_status ON payments (status, seen_at);
CREATE INDEX payments_user ON payments (user_id, seen_at);

-- Where the USDT watch got to: transfers at or after this moment are read again each time.
CREATE TABLE watch_marks (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
