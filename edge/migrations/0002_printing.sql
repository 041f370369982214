-- Printers and the durable print queue (issue 3). Only edge.events.commit writes these tables.

CREATE TABLE printers (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    role               TEXT NOT NULL CHECK (role IN ('receipt', 'kitchen', 'report')),
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

CREATE TABLE print_jobs (
    id               TEXT PRIMARY KEY,
    seq              INTEGER NOT NULL,               -- print order; kept when rerouted
    printer_id       TEXT NOT NULL REFERENCES printers (id),
    kind             TEXT NOT NULL,                  -- kitchen_ticket, void_chit, receipt, ...
    payload          BLOB NOT NULL,                  -- ESC/POS bytes, rendered once
    state            TEXT NOT NULL DEFAULT 'queued'
                         CHECK (state IN ('queued', 'sending', 'printed', 'failed')),
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
    hub_rev          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX print_jobs_waiting ON print_jobs (printer_id, seq) WHERE state IN ('queued', 'sending');
CREATE INDEX print_jobs_seq ON print_jobs (seq);
