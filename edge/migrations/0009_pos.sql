-- The POS: checks (what a table or a walk-in pays), their items and discounts, payments and
-- refunds, shifts and the cash drawer's moves, X and Z reports; the store's POS settings and
-- promo codes (the hub's); PLU and barcode on menu items (the hub's).
--
-- Growth at 750 orders a day: about 800 checks, 3 000 check items, 900 payments a day (some
-- 1.7 M rows a year, read by the day's reports and the open checks); a handful of shifts,
-- drawer moves and reports a day. Rows stay: they are the store's books.

ALTER TABLE menu_items ADD COLUMN plu TEXT NOT NULL DEFAULT '';
ALTER TABLE menu_items ADD COLUMN barcode TEXT NOT NULL DEFAULT '';

-- One row: the store's POS rules.
CREATE TABLE pos_settings (
    id                  TEXT PRIMARY KEY,
    service_bp          INTEGER NOT NULL DEFAULT 0,   -- service charge, basis points
    service_min_covers  INTEGER NOT NULL DEFAULT 0,   -- only for parties this size or more
    discount_limit_bp   INTEGER NOT NULL DEFAULT 1000,-- larger discounts need a manager
    cash_rounding       INTEGER NOT NULL DEFAULT 1,   -- smallest coin, minor units
    hub_rev             INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE promo_codes (
    id            TEXT PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    value         INTEGER NOT NULL CHECK (value >= 0),  -- basis points or minor units
    valid_from    TEXT,                                  -- UTC ISO-8601, NULL: always
    valid_until   TEXT,
    min_spend     INTEGER NOT NULL DEFAULT 0,
    max_discount  INTEGER,                               -- NULL: no cap
    usage_limit   INTEGER,                               -- NULL: no limit
    stackable     INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1,
    hub_rev       INTEGER NOT NULL DEFAULT 0
);

-- A check: what one table (all its open orders) or one walk-in pays. A split check keeps its
-- items and gets parts (parent_id); a merged one hands its items to another.
-- status: open, split, paid, merged.
CREATE TABLE checks (
    id           TEXT PRIMARY KEY,
    business_day TEXT NOT NULL,
    table_id     TEXT REFERENCES tables (id),
    parent_id    TEXT REFERENCES checks (id),
    label        TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL DEFAULT 0,
    status       TEXT NOT NULL DEFAULT 'open',
    service_bp   INTEGER,                    -- NULL: the store's rule
    total        INTEGER NOT NULL DEFAULT 0, -- what it came to when paid
    opened_by    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    paid_at      TEXT,
    paid_day     TEXT,                       -- the business day it was paid on
    receipt_token TEXT,                      -- the digital receipt's unguessable key, once paid
    hub_rev      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX checks_open ON checks (table_id) WHERE status = 'open';
CREATE INDEX checks_parent ON checks (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX checks_paid_day ON checks (paid_day) WHERE paid_day IS NOT NULL;
CREATE UNIQUE INDEX checks_receipt ON checks (receipt_token) WHERE receipt_token IS NOT NULL;

-- Which order lines a check holds, and what share of each (a split evenly: 1/N).
CREATE TABLE check_items (
    id        TEXT PRIMARY KEY,
    check_id  TEXT NOT NULL REFERENCES checks (id),
    line_id   TEXT NOT NULL REFERENCES order_lines (id),
    share_num INTEGER NOT NULL DEFAULT 1,
    share_den INTEGER NOT NULL DEFAULT 1 CHECK (share_den >= 1),
    hub_rev   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX check_items_check ON check_items (check_id);
CREATE INDEX check_items_line ON check_items (line_id);

-- A discount on a check or one of its lines: a percent (basis points) or a fixed amount, by
-- hand or from a promo code.
CREATE TABLE check_discounts (
    id             TEXT PRIMARY KEY,
    check_id       TEXT NOT NULL REFERENCES checks (id),
    line_id        TEXT REFERENCES order_lines (id),
    kind           TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    value          INTEGER NOT NULL,
    reason         TEXT NOT NULL DEFAULT '',
    promo_code_id  TEXT REFERENCES promo_codes (id),
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    hub_rev        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX check_discounts_check ON check_discounts (check_id);
CREATE INDEX check_discounts_promo ON check_discounts (promo_code_id) WHERE promo_code_id IS NOT NULL;

-- A till's shift: its float, its cash moves, and the blind count that closes it.
CREATE TABLE shifts (
    id            TEXT PRIMARY KEY,
    device        TEXT NOT NULL,               -- the till (paired device) the drawer is at
    business_day  TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    float         INTEGER NOT NULL,
    opened_by     TEXT NOT NULL,
    opened_at     TEXT NOT NULL,
    closed_by     TEXT,
    closed_at     TEXT,
    counted       TEXT,                        -- {"2000": 3, "100": 7}: denomination -> pieces
    declared      INTEGER,
    expected      INTEGER,
    variance      INTEGER,                     -- declared - expected: over (+) or short (-)
    hub_rev       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX shifts_open ON shifts (device) WHERE status = 'open';
CREATE INDEX shifts_day ON shifts (business_day);

-- Cash in or out of a drawer outside a sale: pay_in, pay_out, skim, no_sale.
CREATE TABLE drawer_moves (
    id          TEXT PRIMARY KEY,
    shift_id    TEXT NOT NULL REFERENCES shifts (id),
    kind        TEXT NOT NULL,
    amount      INTEGER NOT NULL DEFAULT 0,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    hub_rev     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX drawer_moves_shift ON drawer_moves (shift_id);

-- One tender on a check. No card data: a card payment keeps the terminal's reference only, an
-- online one (pay at table) the provider's intent.
CREATE TABLE payments (
    id            TEXT PRIMARY KEY,
    check_id      TEXT NOT NULL REFERENCES checks (id),
    shift_id      TEXT REFERENCES shifts (id),  -- NULL: paid at the table, no till's drawer
    business_day  TEXT NOT NULL,
    method        TEXT NOT NULL,               -- cash, card, online (pay at table)
    amount        INTEGER NOT NULL,            -- what it pays of the check
    rounding      INTEGER NOT NULL DEFAULT 0,  -- cash rounded to the smallest coin (+/-)
    tip           INTEGER NOT NULL DEFAULT 0,
    given         INTEGER NOT NULL DEFAULT 0,  -- cash handed over
    change        INTEGER NOT NULL DEFAULT 0,
    reference     TEXT NOT NULL DEFAULT '',    -- the card terminal's
    refunded      INTEGER NOT NULL DEFAULT 0,
    taken_by      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    hub_rev       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX payments_check ON payments (check_id);
CREATE INDEX payments_day ON payments (business_day);
CREATE INDEX payments_shift ON payments (shift_id);

CREATE TABLE refunds (
    id            TEXT PRIMARY KEY,
    payment_id    TEXT NOT NULL REFERENCES payments (id),
    shift_id      TEXT NOT NULL REFERENCES shifts (id),
    business_day  TEXT NOT NULL,
    method        TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount > 0),
    reason        TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    hub_rev       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX refunds_day ON refunds (business_day);
CREATE INDEX refunds_shift ON refunds (shift_id);

-- X and Z reports as they were made and printed. One Z per business day, ever.
CREATE TABLE reports (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('x', 'z')),
    business_day  TEXT NOT NULL,
    data          TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    hub_rev       INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX reports_one_z ON reports (business_day) WHERE kind = 'z';
CREATE INDEX reports_day ON reports (business_day);

-- Pay at table: a payment provider's intent for a check, whose link the guest opens (QR).
CREATE TABLE pay_links (
    id            TEXT PRIMARY KEY,
    check_id      TEXT NOT NULL REFERENCES checks (id),
    provider_ref  TEXT NOT NULL,               -- the provider's intent id
    amount        INTEGER NOT NULL,
    url           TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid')),
    payment_id    TEXT REFERENCES payments (id),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    hub_rev       INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX pay_links_provider ON pay_links (provider_ref);
CREATE INDEX pay_links_check ON pay_links (check_id);

-- The provider's webhook deliveries seen, by the provider's event id: each acts once.
CREATE TABLE provider_events (
    id           TEXT PRIMARY KEY,
    provider_ref TEXT NOT NULL,
    kind         TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    hub_rev      INTEGER NOT NULL DEFAULT 0
);
