-- Customers, the double-entry ledger, orders with their events, settings and conversation state.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,           -- Telegram user id
    username      TEXT,
    first_name    TEXT NOT NULL DEFAULT '',
    language      TEXT NOT NULL DEFAULT 'en',
    banned        INTEGER NOT NULL DEFAULT 0 CHECK (banned IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX users_username ON users (lower(username));

-- Accounts: a customer's wallet and held money, and the shop's own accounts.
CREATE TABLE ledger_accounts (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,          -- e.g. customer:42:wallet, shop:sales
    user_id       INTEGER REFERENCES users (id),
    may_go_negative INTEGER NOT NULL CHECK (may_go_negative IN (0, 1)),
    balance       INTEGER NOT NULL DEFAULT 0,    -- cached sum of entries, micro-units
    created_at    TEXT NOT NULL
);

CREATE TABLE ledger_transactions (
    id              INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,               -- deposit, hold, post, void, refund, adjustment
    fingerprint     TEXT NOT NULL,               -- what the key promised: kind and entries
    user_id         INTEGER REFERENCES users (id),
    order_id        TEXT,
    hold_id         INTEGER,
    memo            TEXT NOT NULL DEFAULT '',
    actor           TEXT NOT NULL DEFAULT 'system',
    created_at      TEXT NOT NULL
);
CREATE INDEX ledger_transactions_user ON ledger_transactions (user_id, id);
CREATE INDEX ledger_transactions_order ON ledger_transactions (order_id);

CREATE TABLE ledger_entries (
    id              INTEGER PRIMARY KEY,
    transaction_id  INTEGER NOT NULL REFERENCES ledger_transactions (id),
    account_id      INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount          INTEGER NOT NULL             -- signed micro-units; a transaction sums to zero
);
CREATE INDEX ledger_entries_transaction ON ledger_entries (transaction_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id);

-- Money set aside for an order: pending until posted (sold) or voided (returned), exactly once.
CREATE TABLE ledger_holds (
    id                 INTEGER PRIMARY KEY,
    user_id            INTEGER NOT NULL REFERENCES users (id),
    order_id           TEXT NOT NULL,
    amount             INTEGER NOT NULL CHECK (amount > 0),
    status             TEXT NOT NULL CHECK (status IN ('pending', 'posted', 'voided')),
    hold_transaction_id   INTEGER NOT NULL REFERENCES ledger_transactions (id),
    settle_transaction_id INTEGER REFERENCES ledger_transactions (id),
    created_at         TEXT NOT NULL,
    settled_at         TEXT
);
CREATE INDEX ledger_holds_order ON ledger_holds (order_id);
CREATE INDEX ledger_holds_pending ON ledger_holds (status) WHERE status = 'pending';

CREATE TRIGGER ledger_entries_append_only_update BEFORE UPDATE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
CREATE TRIGGER ledger_entries_append_only_delete BEFORE DELETE ON ledger_entries
BEGIN
    SELECT RAISE(ABORT, 'ledger entries are append-only');
END;
CREATE TRIGGER ledger_transactions_append_only_update BEFORE UPDATE ON ledger_transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are append-only');
END;
CREATE TRIGGER ledger_transactions_append_only_delete BEFORE DELETE ON ledger_transactions
BEGIN
    SELECT RAISE(ABORT, 'ledger transactions are append-only');
END;

CREATE TABLE orders (
    id               TEXT PRIMARY KEY,            -- also the upstream idempotency key
    user_id          INTEGER NOT NULL REFERENCES users (id),
    product          TEXT NOT NULL,               -- product line: cloud, energy, topup, shop, acedata
    status           TEXT NOT NULL,
    charge           INTEGER NOT NULL DEFAULT 0,  -- store-currency micro-units
    upstream_cost    INTEGER,                     -- micro-units of upstream_currency
    upstream_currency TEXT,
    upstream_ref     TEXT,
    details          TEXT NOT NULL DEFAULT '{}',  -- JSON: what was bought, quote, delivered goods
    quote_expires_at TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX orders_user ON orders (user_id, created_at);
CREATE INDEX orders_status ON orders (status);

CREATE TABLE order_events (
    id          INTEGER PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES orders (id),
    at          TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL DEFAULT 'system'
);
CREATE INDEX order_events_order ON order_events (order_id, id);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT 'system'
);

-- aiogram FSM state per (bot, chat, user, thread, destiny), so conversations survive a restart.
CREATE TABLE conversation_state (
    key        TEXT PRIMARY KEY,
    state      TEXT,
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);
