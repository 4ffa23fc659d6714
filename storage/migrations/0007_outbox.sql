-- What customers and operators must hear, written in the same transaction as what happened and
-- sent afterwards until Telegram takes it (see bot/outbox.py).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    -- The happening it tells of (`order:<id>:<status>`, `payment:<id>:credited`): the same news
    -- recorded twice (a replayed callback) is one message. NULL for messages with no such name.
    key TEXT UNIQUE,
    chat_id INTEGER NOT NULL,
    priority INTEGER NOT NULL,  -- 0 goes first: operators' alerts, then results, then chatter
    topic TEXT NOT NULL,  -- what it tells, and so how it is worded when it goes out
    about TEXT NOT NULL DEFAULT '',  -- the order, payment or customer it is about
    body TEXT NOT NULL DEFAULT '{}',  -- JSON: what the topic needs (an operator's text, a status)
    screen INTEGER,  -- a message of the bot's in the chat to edit into this one, if any
    parts_sent INTEGER NOT NULL DEFAULT 0,  -- of a message in parts (a result, then its goods)
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    not_before TEXT NOT NULL,  -- tried again only then (Telegram's retry_after, a backoff)
    sent_at TEXT,
    given_up_at TEXT  -- Telegram will never take it (the customer blocked the bot)
);
CREATE INDEX outbox_waiting ON outbox (priority, id) WHERE sent_at IS NULL AND given_up_at IS NULL;
CREATE INDEX outbox_about ON outbox (topic, about, created_at);
