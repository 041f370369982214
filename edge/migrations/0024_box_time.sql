-- The time a manager gave a box whose clock is wrong and not set by NTP (`edge.domain.box_time`):
-- one row, `id` 'box', kept until NTP sets the system clock. `offset_ms` is how far the box runs
-- from its system clock (0: on it); `read_at` the box's time before the change, `set_to` after.
CREATE TABLE box_time (
    id         TEXT PRIMARY KEY,
    offset_ms  INTEGER NOT NULL,
    read_at    TEXT NOT NULL,
    set_to     TEXT NOT NULL,
    hub_rev    INTEGER NOT NULL DEFAULT 0
);
