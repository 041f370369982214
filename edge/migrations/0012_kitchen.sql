-- The kitchen: stations (configuration the hub holds the truth for, one row per station of the
-- store: BAR, KITCHEN, GRILL ...; a menu item names its station by code), the store's kitchen
-- options (one row), and tickets (born at the store): one fire of an order becomes one ticket
-- per station, numbered per business day (the tickets of one fire share the number), with one
-- item per order line it carries, each copied from the line as the kitchen reads it. States
-- NEW -> IN_PROGRESS -> READY -> BUMPED, per ticket and per item, with the time of each step
-- (prep times for reports). An item moved to another station is MOVED on its first ticket and
-- made again on a ticket of the new station: a line is on one live item, ever (the unique
-- index), so a fire replayed, a send retried or a restart can never cook it twice.
--
-- Growth: at 750 orders a day, about 1,500 tickets and 3,000 items a day (some 550,000 and
-- 1.1 million rows a year), a few events each. The board reads only open tickets and the last
-- bumped ones (partial indexes); reports read a business day. Rows older than the store keeps
-- its orders may go with them.

CREATE TABLE stations (
    id        TEXT PRIMARY KEY,
    code      TEXT NOT NULL UNIQUE,         -- what menu items name: BAR, KITCHEN ...
    name      TEXT NOT NULL,                -- as screens show it: "Bar", "Hot kitchen"
    position  INTEGER NOT NULL DEFAULT 0,
    active    INTEGER NOT NULL DEFAULT 1,
    hub_rev   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE kitchen_settings (
    id               TEXT PRIMARY KEY,
    hold_courses     INTEGER NOT NULL DEFAULT 1,  -- drinks and the first course fire at once
    auto_fire        INTEGER NOT NULL DEFAULT 0,  -- fire the next course once one is bumped
    auto_fire_delay  INTEGER NOT NULL DEFAULT 0,  -- seconds after that bump
    warn_minutes     INTEGER NOT NULL DEFAULT 8,  -- a tile turns amber at this age
    late_minutes     INTEGER NOT NULL DEFAULT 15, -- and red at this one
    hub_rev          INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tickets (
    id            TEXT PRIMARY KEY,
    order_id      TEXT NOT NULL REFERENCES orders (id),
    station       TEXT NOT NULL,
    number        INTEGER NOT NULL,             -- per business day, shared by one fire's tickets
    business_day  TEXT NOT NULL,
    kind          TEXT NOT NULL,                -- FIRE, COURSE, ADD or MOVE
    label         TEXT NOT NULL,                -- "Table 3", "Counter #12"
    order_number  INTEGER NOT NULL,
    note          TEXT NOT NULL DEFAULT '',     -- the order's note
    state         TEXT NOT NULL DEFAULT 'NEW',  -- NEW, IN_PROGRESS, READY, BUMPED
    rush          INTEGER NOT NULL DEFAULT 0,
    fired_by      TEXT NOT NULL,
    fired_at      TEXT NOT NULL,
    started_at    TEXT,
    ready_at      TEXT,
    bumped_at     TEXT,
    served_at     TEXT,
    auto_fire_at  TEXT,                         -- when to fire the order's next course
    hub_rev       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (business_day, number, station)
);
CREATE INDEX tickets_order ON tickets (order_id);
CREATE INDEX tickets_open ON tickets (fired_at) WHERE state != 'BUMPED';
CREATE INDEX tickets_bumped ON tickets (bumped_at) WHERE state = 'BUMPED';
CREATE INDEX tickets_auto_fire ON tickets (auto_fire_at) WHERE auto_fire_at IS NOT NULL;

CREATE TABLE ticket_items (
    id          TEXT PRIMARY KEY,
    ticket_id   TEXT NOT NULL REFERENCES tickets (id),
    line_id     TEXT NOT NULL REFERENCES order_lines (id),
    station     TEXT NOT NULL,
    name        TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    modifiers   TEXT NOT NULL DEFAULT '[]',   -- the chosen modifiers' names
    note        TEXT NOT NULL DEFAULT '',
    seat        INTEGER,
    course      TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'NEW',  -- NEW, IN_PROGRESS, READY, BUMPED or MOVED
    voided      INTEGER NOT NULL DEFAULT 0,   -- voided after firing: struck through, still bumped
    fired_at    TEXT NOT NULL,
    ready_at    TEXT,
    bumped_at   TEXT,
    hub_rev     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ticket_items_ticket ON ticket_items (ticket_id);
CREATE UNIQUE INDEX ticket_items_line ON ticket_items (line_id) WHERE state != 'MOVED';
