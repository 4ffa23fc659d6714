-- An update a replica is handling right now, so that Telegram delivering it again (its answer is
-- late) to another replica waits for the first instead of handling it too. A claim lasts until
-- `until` (Unix seconds): a replica killed while handling leaves one that the next delivery takes
-- over once it ran out. Used only where several processes share the database (PostgreSQL).
CREATE TABLE webhook_claims (
    update_id INTEGER PRIMARY KEY,
    holder TEXT NOT NULL,
    until INTEGER NOT NULL
);
