-- Broadcasts to a segment, with buttons, at a chosen time: see ../0015_broadcast_audiences.sql.
ALTER TABLE broadcasts ADD COLUMN audience TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE broadcasts ADD COLUMN buttons TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE broadcasts ADD COLUMN send_at TEXT COLLATE "C";

CREATE TABLE broadcast_drafts (
    source_chat_id BIGINT NOT NULL,
    source_message_id BIGINT NOT NULL,
    terms TEXT COLLATE "C" NOT NULL,
    admin_id BIGINT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (source_chat_id, source_message_id)
);
