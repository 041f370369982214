-- A printer's live status (online, paper, cover, the last error, when the worker last read it)
-- moves out of the `printers` row, which is configuration the hub holds the truth for, into a
-- table of its own that never leaves the box (`local` in sync/entities.py): a printer's setup
-- syncs, a paper-out never does and never counts as an edit of it. Only edge.core.events.commit
-- writes it, as the print worker reads a printer.
--
-- Growth: at most one row per printer, made when the worker first reads it; its events (a
-- status change, or a check once a minute) are local, like print jobs'.

CREATE TABLE printer_status (
    id              TEXT PRIMARY KEY REFERENCES printers (id),   -- the printer's id
    online          INTEGER,                      -- NULL until first checked
    paper_near_end  INTEGER NOT NULL DEFAULT 0,
    paper_out       INTEGER NOT NULL DEFAULT 0,
    cover_open      INTEGER NOT NULL DEFAULT 0,
    error           TEXT NOT NULL DEFAULT '',     -- the last error talking to it
    checked_at      TEXT,
    hub_rev         INTEGER NOT NULL DEFAULT 0
);

INSERT INTO printer_status (id, online, paper_near_end, paper_out, cover_open, error, checked_at)
SELECT id, online, paper_near_end, paper_out, cover_open, error, checked_at FROM printers
WHERE online IS NOT NULL OR checked_at IS NOT NULL OR error != '';

ALTER TABLE printers DROP COLUMN online;
ALTER TABLE printers DROP COLUMN paper_near_end;
ALTER TABLE printers DROP COLUMN paper_out;
ALTER TABLE printers DROP COLUMN cover_open;
ALTER TABLE printers DROP COLUMN error;
ALTER TABLE printers DROP COLUMN checked_at;
