-- Messages the operators send to every customer. One delivery row per customer, written before and
-- after each send, so a restart resumes where it stopped and never sends to anyone twice.
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    admin_id INTEGER NOT NULL,
    source_chat_id INTEGER NOT NULL,        -- the message copied to every customer
    source_message_id INTEGER NOT NULL,
    progress_chat_id INTEGER NOT NULL,      -- the operators' message that shows the progress
    progress_message_id INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'cancelled', 'stopped')),
    note TEXT NOT NULL DEFAULT '',          -- why it stopped, when it did
    created_at TEXT NOT NULL,
    ended_at TEXT,
    ended_by INTEGER,                       -- the operator who cancelled it
    UNIQUE (source_chat_id, source_message_id)
);
CREATE INDEX broadcasts_running ON broadcasts (status, id);

CREATE TABLE broadcast_deliveries (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    -- pending: not yet tried; sending: on its way (after a crash: unsure, never sent again);
    -- sent; blocked: the customer blocked the bot; failed: Telegram refused it.
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'sending', 'sent', 'blocked', 'failed', 'unsure')),
    detail TEXT NOT NULL DEFAULT '',
    at TEXT,
    PRIMARY KEY (broadcast_id, user_id)
) WITHOUT ROWID;
CREATE INDEX broadcast_deliveries_status ON broadcast_deliveries (broadcast_id, status, user_id);

-- Set when Telegram says the customer blocked the bot; cleared when they write to it again.
ALTER TABLE users ADD COLUMN blocked_bot_at TEXT;
