-- Idempotency keys (issue 18): the first answer to each POST that carried an `Idempotency-Key`,
-- by the device that sent it, so that a retry gets that answer back instead of a second order.
-- Bookkeeping beside a write, not a domain table: the writer inserts a row in the same
-- transaction as the write it answers (edge.idempotency), never through edge.events.commit.
-- The primary key is the lookup. Rows are kept 7 days; pruning comes with the history issue.

CREATE TABLE idempotency_keys (
    device       TEXT NOT NULL,              -- who sent it: the signed-in session's device
    key          TEXT NOT NULL,              -- the header's value, 1..200 printable ASCII
    fingerprint  TEXT NOT NULL,              -- sha256 of method, path and body (hex)
    status       INTEGER NOT NULL,           -- the first answer's HTTP status
    body         TEXT NOT NULL,              -- the first answer's JSON, byte for byte
    created_at   TEXT NOT NULL,              -- UTC ISO-8601
    PRIMARY KEY (device, key)
);
