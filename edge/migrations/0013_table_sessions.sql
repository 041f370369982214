-- QR table ordering: a table's guest session, the phones in it, and the shared cart each
-- session builds (a draft: the cart until a waiter confirms it, or the guest sends it in direct
-- mode). Born at the store and synced as `edge` entities. A guest's token is not stored: it is
-- signed (HMAC with the box's QR secret) over the member's id, and counts only while the
-- member's session is open. Guests' nicknames are purged a day after their session closed.
--
-- Growth: one session per seating, a few members and drafts each: some 300 rows a day.

CREATE TABLE table_sessions (
    id                TEXT PRIMARY KEY,
    table_id          TEXT NOT NULL REFERENCES tables (id),
    status            TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_at         TEXT NOT NULL,
    last_activity_at  TEXT NOT NULL,              -- a guest's last write, or a waiter's
    closed_at         TEXT,
    close_reason      TEXT,                       -- staff, idle, paid, restored...
    order_id          TEXT REFERENCES orders (id),  -- the table's order, once a draft is confirmed
    waiter_called_at  TEXT,                       -- an alert on the waiter screens until seen
    bill_asked_at     TEXT,
    purged_at         TEXT,                       -- guests' personal data forgotten
    pass_ok_at        TEXT,                       -- a guest gave the daily pass
    hub_rev           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX table_sessions_open ON table_sessions (table_id) WHERE status = 'open';
CREATE INDEX table_sessions_closed ON table_sessions (closed_at) WHERE status = 'closed';
CREATE INDEX table_sessions_order ON table_sessions (order_id) WHERE order_id IS NOT NULL;

CREATE TABLE session_members (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES table_sessions (id),
    nickname    TEXT NOT NULL DEFAULT '',         -- '' until the guest joins (first add)
    is_host     INTEGER NOT NULL DEFAULT 0,
    joined_at   TEXT NOT NULL,
    hub_rev     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX session_members_session ON session_members (session_id);

CREATE TABLE drafts (
    id               TEXT PRIMARY KEY,
    session_id       TEXT NOT NULL REFERENCES table_sessions (id),
    status           TEXT NOT NULL DEFAULT 'open',  -- open, submitted, updated, in_review,
                                                    -- confirmed, rejected (edge/domain/drafts.py)
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    submitted_at     TEXT,
    submitted_by     TEXT,                        -- the member who sent it
    locked_by        TEXT,                        -- the waiter reviewing it
    lock_expires_at  TEXT,
    decided_by       TEXT,
    decided_at       TEXT,
    reject_reason    TEXT,
    order_id         TEXT REFERENCES orders (id),
    hub_rev          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX drafts_session ON drafts (session_id);
CREATE INDEX drafts_status ON drafts (status);  -- the inbox: those waiting for a waiter

CREATE TABLE draft_lines (
    id          TEXT PRIMARY KEY,
    draft_id    TEXT NOT NULL REFERENCES drafts (id),
    member_id   TEXT,                             -- who added it (NULL: a waiter)
    item_id     TEXT NOT NULL REFERENCES menu_items (id),
    name        TEXT NOT NULL,
    unit_price  INTEGER NOT NULL,                 -- computed here, never taken from a guest
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    modifiers   TEXT NOT NULL DEFAULT '[]',       -- [{"id", "name", "price_delta"}]
    note        TEXT NOT NULL DEFAULT '',
    amount      INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    hub_rev     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX draft_lines_draft ON draft_lines (draft_id);

-- The store may ask guests for the daily pass (a word staff read out, new every day at 04:00)
-- once per session before the first Send.
ALTER TABLE store ADD COLUMN daily_pass INTEGER NOT NULL DEFAULT 0;
