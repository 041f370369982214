-- Each store's change feed (what a pull reads). The cursor is one sequence for the whole hub.
CREATE TABLE changes (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    store_id TEXT NOT NULL REFERENCES stores (id),
    id TEXT NOT NULL,
    hlc TEXT NOT NULL,
    at TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op TEXT NOT NULL,
    fields TEXT NOT NULL,
    rev BIGINT NOT NULL,
    actor TEXT,
    source TEXT NOT NULL,
    seq BIGINT,
    kept TEXT NOT NULL
);
CREATE INDEX changes_feed ON changes (store_id, cursor);
