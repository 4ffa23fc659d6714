-- Who says a USDT transfer is theirs. Several customers may claim one transfer (its hash is public
-- on any block explorer): each claim is kept beside the transfer and shown to the operators, and
-- none replaces whose the transfer is (the request it matches, or its first claimant). A claim is
-- settled when its transfer is decided, whichever way, and waits until then.
--
-- `payment_id` names a row of `payments` but is not declared a foreign key: `payments` is copied
-- into a new table when its statuses change (see 0005), and SQLite refuses to drop a table that
-- another one refers to.
CREATE TABLE payment_claims (
    id INTEGER PRIMARY KEY,
    payment_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    amount INTEGER NOT NULL CHECK (amount > 0),    -- what the customer says it sent, micro-USDT
    claimed_at TEXT NOT NULL,
    settled_at TEXT                                -- when its transfer was decided
);
CREATE INDEX payment_claims_payment ON payment_claims (payment_id);
CREATE INDEX payment_claims_waiting ON payment_claims (user_id, settled_at);

-- The claims made before: the claimant each claimed or rejected payment names, and the customer
-- each payment made by a claim (`manual`) was credited to. Only those still claimed wait.
INSERT INTO payment_claims (payment_id, user_id, amount, claimed_at, settled_at)
    SELECT id, user_id,
           CASE WHEN note GLOB 'claimed [0-9]*' THEN CAST(substr(note, 9) AS INTEGER) ELSE paid END,
           seen_at,
           CASE WHEN status = 'claimed' THEN NULL ELSE COALESCE(decided_at, seen_at) END
    FROM payments
    WHERE user_id IS NOT NULL AND (status IN ('claimed', 'rejected') OR method = 'manual');
