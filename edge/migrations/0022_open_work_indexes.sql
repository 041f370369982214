-- What is in hand, read in its own order, however much of it a year leaves open
-- (tests/edge/test_query_plans.py):
-- * the waiter's tables grid asks for each table's open order: the open orders of a table,
--   (status, table_id) of the orders that have one, not every open order on `orders_status`:
--   counter orders that no till closes are every order of the year (measured on the year of
--   tests/perf/test_history.py, 300,000 of them: 178 ms a grid, now under 1 ms);
-- * a kitchen screen's first 100 open tickets, rushed first then by fire, of all stations or
--   of one: read in the board's order, not sorted from every ticket not bumped (in a kitchen
--   working from printed tickets, 90 days of them: 16 ms of sorting a board, now 0.2 ms).
CREATE INDEX orders_status_table ON orders (status, table_id) WHERE table_id IS NOT NULL;
CREATE INDEX tickets_board ON tickets (rush DESC, fired_at, number, station)
    WHERE state != 'BUMPED';
CREATE INDEX tickets_board_station ON tickets (station, rush DESC, fired_at, number)
    WHERE state != 'BUMPED';
