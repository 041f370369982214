-- The conflict inbox and the rejected events, read as the admin page and the sync service read
-- them, are index lookups (tests/edge/test_query_plans.py holds both tables to the rule):
-- * conflicts of one state (open, by default), newest first then by field: (state, seq DESC,
--   field), in the list's order, so that no sort follows the walk;
-- * every conflict ("all"), as ordered, and the sync service's "is a verdict on this event
--   kept already?": (seq DESC, field);
-- * rejections, newest first: (created_at, id), as the list sorts them;
-- * the same question of rejections, and the events kept as too large to push: (seq).
-- Both tables stay small (a handful of rows a month); these keep a store with a sync bug,
-- which may gather one per order, answering as fast.

DROP INDEX sync_conflicts_state;
CREATE INDEX sync_conflicts_state ON sync_conflicts (state, seq DESC, field);
CREATE INDEX sync_conflicts_seq ON sync_conflicts (seq DESC, field);

DROP INDEX sync_rejections_created;
CREATE INDEX sync_rejections_created ON sync_rejections (created_at, id);
CREATE INDEX sync_rejections_seq ON sync_rejections (seq);
