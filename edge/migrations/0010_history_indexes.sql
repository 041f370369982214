-- A year of history (issue 20): every list and filter of the API is an index lookup, and
-- start-up finds the jobs caught mid-send without reading every job.
--
-- Each index costs every write, so each is here for a read the API offers (tests/edge/
-- test_query_plans.py runs EXPLAIN QUERY PLAN over every read path and fails on a SCAN of
-- events, orders, order_lines or print_jobs):
-- * the audit by entity, newest first: (entity, seq), walked from `before` down;
-- * the audit by actor: (actor, seq), only events someone did (print jobs have none);
-- * the audit by time: (at), newest first (and the seq, as every index holds the rowid);
-- * the audit without printing keeps drawer openings: a partial index of just those;
-- * orders by status, newest first: (status, id) (open ones included: `orders_open` goes);
-- * print jobs by state and by printer, newest first; `state = 'sending'` at start-up.

CREATE INDEX events_entity_seq ON events (entity, seq);
CREATE INDEX events_actor ON events (actor, seq) WHERE actor IS NOT NULL;
CREATE INDEX events_at ON events (at);
CREATE INDEX events_drawer ON events (seq)
    WHERE entity = 'print_jobs' AND op = 'create' AND json_extract(fields, '$.kind') = 'drawer';

DROP INDEX orders_open;
CREATE INDEX orders_status ON orders (status, id);

CREATE INDEX print_jobs_state ON print_jobs (state, seq);
CREATE INDEX print_jobs_printer ON print_jobs (printer_id, seq);

-- Retention (edge.core.retention) forgets idempotency keys after 7 days, oldest first.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
