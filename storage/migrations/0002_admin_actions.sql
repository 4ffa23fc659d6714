-- What operators did to customers and settings: who, when, what, before and after.
-- Append-only, like the ledger: a mistake is corrected by a new action.
CREATE TABLE admin_actions (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    admin_id INTEGER NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,  -- user, setting, order
    target_id TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX admin_actions_target ON admin_actions (target_kind, target_id, id);
CREATE TRIGGER admin_actions_append_only_update BEFORE UPDATE ON admin_actions
BEGIN
    SELECT RAISE(ABORT, 'admin actions are append-only');
END;
CREATE TRIGGER admin_actions_append_only_delete BEFORE DELETE ON admin_actions
BEGIN
    SELECT RAISE(ABORT, 'admin actions are append-only');
END;
