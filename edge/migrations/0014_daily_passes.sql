-- Today's pass for guests (issue #21): the scheduler makes a new word at 04:00 in the store's
-- time zone, and at start-up when the stored one is of an earlier day (the box was off at
-- 04:00). Kept through `commit`, so the waiter screens hear of the new word live. `local` in
-- sync/entities.py: a word read out in the room for one day, of no use to the hub, and a way
-- into the store's ordering that should not travel.
--
-- Growth: one row, changed once a day.

CREATE TABLE daily_passes (
    id            TEXT PRIMARY KEY,
    business_day  TEXT NOT NULL,                  -- the day (turning at 04:00) it is for
    word          TEXT NOT NULL,
    made_at       TEXT NOT NULL,
    hub_rev       INTEGER NOT NULL DEFAULT 0
);
