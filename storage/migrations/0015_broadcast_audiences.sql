-- Broadcasts to a segment, with buttons, at a chosen time. `audience` says whom it was for, as
-- the operators read it ('' for every customer); its deliveries are the customers it matched
-- when it was confirmed. `buttons` is the inline keyboard under each copy (JSON, '' for none);
-- `send_at` holds it back until then (NULL: at once). A draft is an operator's /broadcast
-- waiting for "Send": the terms they gave, read again when they confirm.
ALTER TABLE broadcasts ADD COLUMN audience TEXT NOT NULL DEFAULT '';
ALTER TABLE broadcasts ADD COLUMN buttons TEXT NOT NULL DEFAULT '';
ALTER TABLE broadcasts ADD COLUMN send_at TEXT;

CREATE TABLE broadcast_drafts (
    source_chat_id INTEGER NOT NULL,
    source_message_id INTEGER NOT NULL,
    terms TEXT NOT NULL,
    admin_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (source_chat_id, source_message_id)
);
