-- Referrals: each customer's own code for their link (`t.me/<bot>?start=r_<code>`, made when
-- they first open the referral screen), who brought whom (set once, when a new customer first
-- starts the bot through a link, never changed), and the rewards a referred customer's
-- delivered orders earn: `pending` until `due_at`, then `released` (paid from shop:marketing) or
-- `voided` (the order was refunded or reversed first).
CREATE TABLE referral_codes (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id),
    code        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE referrals (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id),  -- the customer who was brought
    referrer_id INTEGER NOT NULL REFERENCES users (id),
    joined_at   TEXT NOT NULL,
    CHECK (user_id != referrer_id)
);
CREATE INDEX referrals_referrer ON referrals (referrer_id);

CREATE TABLE referral_rewards (
    id          INTEGER PRIMARY KEY,
    order_id    TEXT NOT NULL UNIQUE,
    referrer_id INTEGER NOT NULL REFERENCES users (id),
    referred_id INTEGER NOT NULL REFERENCES users (id),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    status      TEXT NOT NULL CHECK (status IN ('pending', 'released', 'voided')),
    due_at      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    settled_at  TEXT
);
CREATE INDEX referral_rewards_due ON referral_rewards (status, due_at);
CREATE INDEX referral_rewards_referrer ON referral_rewards (referrer_id, status);
