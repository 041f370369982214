-- A QR bill whose check a tender at the till settled first is withdrawn: `cancelling` until the
-- provider has been told (its page then says the bill is paid and takes no payment),
-- `cancelled` once it has; a capture that still comes for it (the guest paid in the same
-- second, or after the day's Z) is recorded as `late`: owed back until a manager refunds it in
-- full (`returned`).
-- The table is rebuilt for its CHECK (SQLite cannot alter one); the two partial indexes hold
-- only links in hand: those the provider is still to be told of, and the late ones whose money
-- is owed back (a few a year), which the POS lists.
CREATE TABLE pay_links_new (
    id            TEXT PRIMARY KEY,
    check_id      TEXT NOT NULL REFERENCES checks (id),
    provider_ref  TEXT NOT NULL,               -- the provider's intent id
    amount        INTEGER NOT NULL,
    url           TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status = 'pending' OR status = 'paid'
                  OR status = 'cancelling' OR status = 'cancelled' OR status = 'late'
                  OR status = 'returned'),  -- ORs, not IN (migration 0004)
    payment_id    TEXT REFERENCES payments (id),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    hub_rev       INTEGER NOT NULL DEFAULT 0
);
INSERT INTO pay_links_new SELECT id, check_id, provider_ref, amount, url, status, payment_id,
    created_by, created_at, hub_rev FROM pay_links;
DROP TABLE pay_links;
ALTER TABLE pay_links_new RENAME TO pay_links;
CREATE UNIQUE INDEX pay_links_provider ON pay_links (provider_ref);
CREATE INDEX pay_links_check ON pay_links (check_id);
CREATE INDEX pay_links_cancelling ON pay_links (id) WHERE status = 'cancelling';
CREATE INDEX pay_links_late ON pay_links (check_id) WHERE status = 'late';
