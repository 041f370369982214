-- CHECK constraints that list three or more values are written as comparisons joined by OR.
--
-- SQLite (3.40, Debian 12) turns `x IN ('a', 'b', 'c')` into a throwaway b-tree that it builds
-- every time the statement runs; two values become plain comparisons. So every INSERT into
-- events, orders and order_lines built one: three per order, about 116k of the writer's 950k
-- instructions for a five-line order (callgrind), more than half of it zeroing its pages.
-- The rules are the same. SQLite cannot change a CHECK in place, so each table is rebuilt as
-- its docs describe (new table, copy, drop, rename, indexes again); the migration runner does
-- not enforce foreign keys meanwhile and checks them all before it commits.
-- A rule for new tables: never `CHECK (x IN (...))` with more than two values
-- (tests/edge/test_schema.py fails on any INSERT that builds such a table).

CREATE TABLE events_new (
    seq        INTEGER PRIMARY KEY,            -- local, gapless: rowid is max + 1, never deleted
    id         TEXT NOT NULL,                  -- UUIDv7, unique by construction
    hlc        TEXT NOT NULL,                  -- hybrid logical clock, sortable text
    at         TEXT NOT NULL,                  -- UTC ISO-8601 wall time
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    op         TEXT NOT NULL CHECK (op = 'create' OR op = 'update' OR op = 'delete'),
    fields     TEXT NOT NULL,                  -- JSON: what changed (a delete keeps the row)
    base_rev   INTEGER NOT NULL DEFAULT 0,
    actor      TEXT,
    approver   TEXT,
    origin     TEXT NOT NULL CHECK (origin IN ('local', 'hub'))
);
INSERT INTO events_new SELECT * FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_entity ON events (entity, entity_id);

CREATE TABLE staff_new (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    role      TEXT NOT NULL CHECK (role = 'owner' OR role = 'manager' OR role = 'cashier'
                                   OR role = 'waiter' OR role = 'kitchen'),
    pin_hash  TEXT NOT NULL,
    active    INTEGER NOT NULL DEFAULT 1,
    hub_rev   INTEGER NOT NULL DEFAULT 0
);
INSERT INTO staff_new SELECT * FROM staff;
DROP TABLE staff;
ALTER TABLE staff_new RENAME TO staff;

CREATE TABLE orders_new (
    id            TEXT PRIMARY KEY,
    number        INTEGER NOT NULL,            -- per store per business day
    business_day  TEXT NOT NULL,               -- YYYY-MM-DD in the store's timezone
    kind          TEXT NOT NULL CHECK (kind IN ('counter', 'table')),
    table_id      TEXT REFERENCES tables (id),
    status        TEXT NOT NULL DEFAULT 'open'
                      CHECK (status = 'open' OR status = 'closed' OR status = 'cancelled'),
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
INSERT INTO orders_new SELECT * FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE INDEX orders_table ON orders (table_id) WHERE table_id IS NOT NULL;
CREATE INDEX orders_open ON orders (status) WHERE status = 'open';

CREATE TABLE order_lines_new (
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
    state        TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state = 'pending' OR state = 'sent' OR state = 'voided'),
    void_reason  TEXT,
    created_at   TEXT NOT NULL,
    hub_rev      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO order_lines_new SELECT * FROM order_lines;
DROP TABLE order_lines;
ALTER TABLE order_lines_new RENAME TO order_lines;
CREATE INDEX order_lines_order ON order_lines (order_id);

CREATE TABLE printers_new (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    role               TEXT NOT NULL
                           CHECK (role = 'receipt' OR role = 'kitchen' OR role = 'report'),
    stations           TEXT NOT NULL DEFAULT '[]',   -- kitchen: ["KITCHEN", "BAR"]
    device             TEXT NOT NULL DEFAULT '',     -- receipt: the POS device it serves; '' = any
    transport          TEXT NOT NULL,                -- JSON for printers.transports
    profile            TEXT NOT NULL DEFAULT 'TM-T20II',
    backup_printer_id  TEXT REFERENCES printers (id),
    enabled            INTEGER NOT NULL DEFAULT 1,
    online             INTEGER,                      -- NULL until first checked
    paper_near_end     INTEGER NOT NULL DEFAULT 0,
    paper_out          INTEGER NOT NULL DEFAULT 0,
    cover_open         INTEGER NOT NULL DEFAULT 0,
    error              TEXT NOT NULL DEFAULT '',
    checked_at         TEXT,
    created_at         TEXT NOT NULL,
    hub_rev            INTEGER NOT NULL DEFAULT 0
);
INSERT INTO printers_new SELECT * FROM printers;
DROP TABLE printers;
ALTER TABLE printers_new RENAME TO printers;

CREATE TABLE print_jobs_new (
    id               TEXT PRIMARY KEY,
    seq              INTEGER NOT NULL,               -- print order; kept when rerouted
    printer_id       TEXT NOT NULL REFERENCES printers (id),
    kind             TEXT NOT NULL,                  -- kitchen_ticket, void_chit, receipt, ...
    payload          BLOB NOT NULL,                  -- ESC/POS bytes, rendered once
    state            TEXT NOT NULL DEFAULT 'queued'
                         CHECK (state = 'queued' OR state = 'sending' OR state = 'printed'
                                OR state = 'failed'),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT NOT NULL DEFAULT '',
    reprint          INTEGER NOT NULL DEFAULT 0,     -- print a REPRINT banner first
    source_entity    TEXT,
    source_id        TEXT,
    dedupe_key       TEXT UNIQUE,                    -- drawer:<tender_id>: one pulse per tender
    rerouted_from    TEXT REFERENCES printers (id),
    note             TEXT NOT NULL DEFAULT '',       -- why (a no-sale drawer opening's reason)
    created_at       TEXT NOT NULL,
    printed_at       TEXT,
    hub_rev          INTEGER NOT NULL DEFAULT 0,
    document         TEXT                            -- printers.codec JSON; NULL: keep the bytes
);
INSERT INTO print_jobs_new SELECT * FROM print_jobs;
DROP TABLE print_jobs;
ALTER TABLE print_jobs_new RENAME TO print_jobs;
CREATE INDEX print_jobs_waiting ON print_jobs (printer_id, seq) WHERE state IN ('queued', 'sending');
CREATE INDEX print_jobs_seq ON print_jobs (seq);
