-- See ../0010_webhook_claims.sql.
CREATE TABLE webhook_claims (
    update_id BIGINT PRIMARY KEY,
    holder TEXT COLLATE "C" NOT NULL,
    until BIGINT NOT NULL
);
