-- Price groups: customers who pay their group's markup per product line instead of the retail
-- one (the markups are settings, `markup:<line>:<group>`). A group with `min_spend` is given
-- automatically to a customer whose delivered orders over the window (a setting) reach it; an
-- operator's assignment (`/group`) is kept in `customer_groups` and comes first ('retail' there
-- keeps a customer on retail prices whatever they spend).
CREATE TABLE price_groups (
    name        TEXT PRIMARY KEY,             -- lower case a-z 0-9 _ -
    min_spend   INTEGER,                      -- micro-units; NULL: only by an operator
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE customer_groups (
    user_id     INTEGER PRIMARY KEY REFERENCES users (id),
    name        TEXT NOT NULL,                -- a price group's, or 'retail'
    assigned_by TEXT NOT NULL,
    assigned_at TEXT NOT NULL
);
