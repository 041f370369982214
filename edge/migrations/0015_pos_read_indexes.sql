-- The POS's and the floor's reads, filtered as the pages filter them, are index lookups too
-- (tests/edge/test_query_plans.py, which now holds every table that grows with the service to
-- the rule). Each index is partial: it holds what is in hand, not the year behind it.
-- * the POS's open checks (and split ones with parts left to pay), oldest first: every check
--   ever was walked to find the few unpaid;
-- * a kitchen screen's recall of one station's last bumped tickets: all stations' bumped
--   tickets, newest first, were walked until 20 of that station turned up (a year, for a
--   station that seldom gets one);
-- * the floor's last closed session of each table: every closed session of every table,
--   newest first, was walked per table until one of it turned up.

CREATE INDEX checks_unpaid ON checks (parent_id, created_at, id) WHERE status IN ('open', 'split');
CREATE INDEX tickets_bumped_station ON tickets (station, bumped_at, id) WHERE state = 'BUMPED';
CREATE INDEX table_sessions_last_closed ON table_sessions (table_id, closed_at)
    WHERE status = 'closed';
