-- The edge's first schema: the event log, box identity, store settings, staff, menu, tables, orders.
-- Every domain table has `id` (UUIDv7 text) and `hub_rev`: the hub revision the row was last
-- based on (0 until the hub has seen it). Only edge.events.commit writes domain tables.

CREATE TABLE events (
    seq        INTEGER PRIMARY KEY,            -- local, gapless: rowid is max + 1, never deleted
    id         TEXT NOT NULL,                  -- UUIDv7, unique by construction
    hlc        TEXT NOT NULL,                  -- hybrid logical clock, sortable text
    at         TEXT NOT NULL,                  -- UTC ISO-8601 wall time
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    fields     TEXT NOT NULL,                  -- JSON: what changed (a delete keeps the row)
    base_rev   INTEGER NOT NULL DEFAULT 0,
    actor      TEXT,
    approver   TEXT,
    origin     TEXT NOT NULL CHECK (origin IN ('local', 'hub'))
);
-- One index only: each one costs every write. The audit's actor and time filters scan back
-- from the newest event, which is fast enough for a manager's query.
CREATE INDEX events_entity ON events (entity, entity_id);

-- Made once when the database is created; never synced, never broadcast.
CREATE TABLE box (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE store (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    timezone             TEXT NOT NULL DEFAULT 'UTC',
    currency             TEXT NOT NULL DEFAULT 'USD',
    prices_include_tax   INTEGER NOT NULL DEFAULT 0,
    tax_rounding         TEXT NOT NULL DEFAULT 'half_up',
    business_day_starts  TEXT NOT NULL DEFAULT '04:00',
    opening_hours        TEXT NOT NULL DEFAULT '{}',   -- {"mon": [["11:00", "22:00"]], ...}
    holidays             TEXT NOT NULL DEFAULT '[]',   -- [{"date": "2026-12-25", "hours": []}]
    qr_mode              TEXT NOT NULL DEFAULT 'draft_first'
                             CHECK (qr_mode IN ('draft_first', 'direct')),
    qr_kill_switch       INTEGER NOT NULL DEFAULT 0,
    qr_epoch             INTEGER NOT NULL DEFAULT 1,
    guest_base_url       TEXT NOT NULL DEFAULT '',
    hub_rev              INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tax_rates (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    rate_bp   INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),  -- basis points: 1100 = 11 %
    position  INTEGER NOT NULL DEFAULT 0,
    hub_rev   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE staff (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    role      TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'cashier', 'waiter', 'kitchen')),
    pin_hash  TEXT NOT NULL,
    active    INTEGER NOT NULL DEFAULT 1,
    hub_rev   INTEGER NOT NULL DEFAULT 0
);

-- Wrong PINs in a row and the lockout they earned; survives a restart.
CREATE TABLE pin_failures (
    id            TEXT PRIMARY KEY REFERENCES staff (id),
    failures      INTEGER NOT NULL,
    locked_until  TEXT,
    hub_rev       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE staff_sessions (
    id          TEXT PRIMARY KEY,              -- sha256 of the bearer token, never the token
    staff_id    TEXT NOT NULL REFERENCES staff (id),
    device      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    ended_at    TEXT,
    hub_rev     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

CREATE TABLE menu_categories (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    position  INTEGER NOT NULL DEFAULT 0,
    active    INTEGER NOT NULL DEFAULT 1,
    hub_rev   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE menu_items (
    id           TEXT PRIMARY KEY,
    category_id  TEXT NOT NULL REFERENCES menu_categories (id),
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    price        INTEGER NOT NULL CHECK (price >= 0),
    tax_rate_id  TEXT NOT NULL REFERENCES tax_rates (id),
    station      TEXT NOT NULL DEFAULT 'KITCHEN',
    course       TEXT NOT NULL DEFAULT 'MAINS',
    position     INTEGER NOT NULL DEFAULT 0,
    available    INTEGER NOT NULL DEFAULT 1,     -- 0 = 86'd
    active       INTEGER NOT NULL DEFAULT 1,     -- 0 = removed from the menu
    hub_rev      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX menu_items_category ON menu_items (category_id);

CREATE TABLE modifier_groups (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    min_choices  INTEGER NOT NULL DEFAULT 0 CHECK (min_choices >= 0),
    max_choices  INTEGER NOT NULL DEFAULT 1 CHECK (max_choices >= 1),
    position     INTEGER NOT NULL DEFAULT 0,
    hub_rev      INTEGER NOT NULL DEFAULT 0,
    CHECK (max_choices >= min_choices)
);

CREATE TABLE modifiers (
    id           TEXT PRIMARY KEY,
    group_id     TEXT NOT NULL REFERENCES modifier_groups (id),
    name         TEXT NOT NULL,
    price_delta  INTEGER NOT NULL DEFAULT 0,
    position     INTEGER NOT NULL DEFAULT 0,
    available    INTEGER NOT NULL DEFAULT 1,
    hub_rev      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX modifiers_group ON modifiers (group_id);

CREATE TABLE item_modifier_groups (
    id        TEXT PRIMARY KEY,
    item_id   TEXT NOT NULL REFERENCES menu_items (id),
    group_id  TEXT NOT NULL REFERENCES modifier_groups (id),
    position  INTEGER NOT NULL DEFAULT 0,
    hub_rev   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (item_id, group_id)
);

CREATE TABLE areas (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    position  INTEGER NOT NULL DEFAULT 0,
    hub_rev   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tables (
    id          TEXT PRIMARY KEY,
    area_id     TEXT NOT NULL REFERENCES areas (id),
    name        TEXT NOT NULL,
    seats       INTEGER NOT NULL DEFAULT 4 CHECK (seats >= 0),
    enabled     INTEGER NOT NULL DEFAULT 1,
    qr_version  INTEGER NOT NULL DEFAULT 1,    -- bump to void printed QR codes of this table
    position    INTEGER NOT NULL DEFAULT 0,
    hub_rev     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tables_area ON tables (area_id);

CREATE TABLE orders (
    id            TEXT PRIMARY KEY,
    number        INTEGER NOT NULL,            -- per store per business day
    business_day  TEXT NOT NULL,               -- YYYY-MM-DD in the store's timezone
    kind          TEXT NOT NULL CHECK (kind IN ('counter', 'table')),
    table_id      TEXT REFERENCES tables (id),
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'cancelled')),
    covers        INTEGER NOT NULL DEFAULT 0,
    note          TEXT NOT NULL DEFAULT '',
    currency      TEXT NOT NULL,
    subtotal      INTEGER NOT NULL DEFAULT 0,  -- net of tax
    tax_total     INTEGER NOT NULL DEFAULT 0,
    total         INTEGER NOT NULL DEFAULT 0,  -- what the guest pays
    taxes         TEXT NOT NULL DEFAULT '[]',  -- [{"rate_bp", "name", "base", "tax"}]
    opened_by     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    hub_rev       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (business_day, number)
);
CREATE INDEX orders_table ON orders (table_id) WHERE table_id IS NOT NULL;
CREATE INDEX orders_open ON orders (status) WHERE status = 'open';

CREATE TABLE order_lines (
    id           TEXT PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES orders (id),
    item_id      TEXT NOT NULL REFERENCES menu_items (id),
    name         TEXT NOT NULL,                -- as on the menu when ordered
    unit_price   INTEGER NOT NULL,             -- item price + modifier deltas, as ordered
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    modifiers    TEXT NOT NULL DEFAULT '[]',   -- [{"id", "name", "price_delta"}]
    seat         INTEGER,
    note         TEXT NOT NULL DEFAULT '',
    station      TEXT NOT NULL,
    course       TEXT NOT NULL,
    tax_rate_bp  INTEGER NOT NULL,
    tax_name     TEXT NOT NULL,
    amount       INTEGER NOT NULL,             -- unit_price * quantity
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'voided')),
    void_reason  TEXT,
    created_at   TEXT NOT NULL,
    hub_rev      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX order_lines_order ON order_lines (order_id);
