-- Where this box stands with the hub: the tenant and store it is enrolled for (the hub's ids),
-- its device key's id (the key itself is a file, mode 0600), the hub's address, and how far it
-- has pushed (the last seq the hub acknowledged) and pulled (the last hub change applied).
-- Local: never synced, never broadcast, never exported; not an event, like idempotency keys.
-- The sync service moves a cursor in the same transaction as the work it stands for, so a
-- change is applied, and an acknowledgement taken, exactly once across a crash.
--
-- Growth: one row, ever.

CREATE TABLE sync_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    tenant_id    TEXT,                          -- NULL until enrolled
    store_id     TEXT,
    key_id       TEXT,
    hub_url      TEXT,
    enrolled_at  TEXT,
    push_cursor  INTEGER NOT NULL DEFAULT 0,
    pull_cursor  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO sync_state (id) VALUES (1);
