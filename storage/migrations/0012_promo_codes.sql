-- Promo codes: a discount on a purchase (a percent or a fixed sum) or a gift to the balance,
-- created by operators. A use is reserved when a discounted order is confirmed, becomes `used`
-- when it is delivered, and is `released` when it fails or is refunded (the code can be used
-- again); a gift's use is `used` at once. Limits count reserved and used uses.
CREATE TABLE promo_codes (
    code          TEXT PRIMARY KEY,                 -- upper case, A-Z 0-9 _ -
    kind          TEXT NOT NULL CHECK (kind IN ('percent', 'fixed', 'gift')),
    percent       TEXT,                             -- kind percent: a decimal between 0 and 100
    amount        INTEGER,                          -- kind fixed or gift: micro-units
    max_uses      INTEGER,                          -- NULL: no limit
    per_customer  INTEGER NOT NULL DEFAULT 1,
    min_order     INTEGER NOT NULL DEFAULT 0,       -- micro-units, against the list price
    lines         TEXT NOT NULL DEFAULT '',         -- product lines, comma-separated; '': all
    first_purchase INTEGER NOT NULL DEFAULT 0,      -- 1: only for a customer's first purchase
    expires_at    TEXT,                             -- ISO-8601 UTC; NULL: never
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    ended_by      TEXT,
    ended_at      TEXT                              -- set: `/promo off`, no new uses
);

CREATE TABLE promo_uses (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL REFERENCES promo_codes (code),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    order_id    TEXT UNIQUE,                        -- NULL for a gift
    amount      INTEGER NOT NULL CHECK (amount > 0),
    status      TEXT NOT NULL CHECK (status IN ('reserved', 'used', 'released')),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX promo_uses_code ON promo_uses (code, status);
CREATE INDEX promo_uses_user ON promo_uses (user_id, code);
