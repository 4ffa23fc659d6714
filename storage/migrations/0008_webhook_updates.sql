-- Telegram updates the webhook handled, by id, so that one Telegram delivers again (its answer was
-- lost, or the bot stopped before sending it) is answered without being handled twice, also after
-- a restart. Kept a day, as long as Telegram keeps an update (see storage/webhook_updates.py).
CREATE TABLE webhook_updates (
    update_id INTEGER PRIMARY KEY,
    handled_at INTEGER NOT NULL  -- Unix time, seconds
);
CREATE INDEX webhook_updates_by_age ON webhook_updates (handled_at);
