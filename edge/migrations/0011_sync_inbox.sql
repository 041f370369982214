-- What sync could not simply apply, kept for a manager: nothing the box did is discarded.
--
-- sync_conflicts: a field of a pushed edit where the hub's value stood against the store's
-- (server wins, field by field): both values (JSON text), who changed each and when, and what a
-- manager did about it (`state`: open, reapplied as a new edit, or dismissed).
-- sync_rejections: an event the hub refused (`source` push, with the hub's reason), or a hub
-- change this box could not apply (`source` pull), with the event as it was.
-- Both local (never synced); written through edge.core.events.commit, on the `sync` topic.
--
-- Growth: a conflict needs an edit of the same field on both sides while apart, a rejection a
-- bug or a broken rule: a handful a month. Closed ones may go with the history issue.

CREATE TABLE sync_conflicts (
    id          TEXT PRIMARY KEY,
    seq         INTEGER NOT NULL,              -- the store's event the hub merged
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    edge_value  TEXT NOT NULL,                 -- JSON
    hub_value   TEXT NOT NULL,                 -- JSON
    edge_actor  TEXT,
    edge_at     TEXT NOT NULL,
    hub_actor   TEXT,
    hub_at      TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'open',  -- open, reapplied, dismissed
    resolved_by TEXT,
    resolved_at TEXT,
    hub_rev     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sync_conflicts_state ON sync_conflicts (state, seq);

CREATE TABLE sync_rejections (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,                 -- push: the hub refused it; pull: the box did
    seq         INTEGER,                       -- the store's event (push)
    event_id    TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    op          TEXT NOT NULL,
    fields      TEXT NOT NULL,                 -- JSON: what the event changed
    actor       TEXT,
    code        TEXT NOT NULL,
    message     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    hub_rev     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sync_rejections_created ON sync_rejections (created_at);
