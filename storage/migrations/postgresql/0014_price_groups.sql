-- Price groups: see ../0014_price_groups.sql for what each table and column means.
CREATE TABLE price_groups (
    name        TEXT COLLATE "C" PRIMARY KEY,
    min_spend   BIGINT,
    created_by  TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL
);

CREATE TABLE customer_groups (
    user_id     BIGINT PRIMARY KEY REFERENCES users (id),
    name        TEXT COLLATE "C" NOT NULL,
    assigned_by TEXT COLLATE "C" NOT NULL,
    assigned_at TEXT COLLATE "C" NOT NULL
);
