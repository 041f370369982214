-- A store's events pushed before: the stream of the store's first box (the node of its first
-- enrolled key; a box enrolled again kept its node). Row-level security holds the tables' owner
-- too (FORCE), and this migration reads every tenant's rows: it is lifted for the migration's
-- transaction only.
ALTER TABLE stores NO FORCE ROW LEVEL SECURITY;
ALTER TABLE devices NO FORCE ROW LEVEL SECURITY;
ALTER TABLE inbox NO FORCE ROW LEVEL SECURITY;
ALTER TABLE changes NO FORCE ROW LEVEL SECURITY;

INSERT INTO streams (store_id, node, tenant_id, push_upto)
SELECT s.id, d.node, s.tenant_id, s.push_upto FROM stores s JOIN devices d ON d.key_id = (
    SELECT first.key_id FROM devices first WHERE first.store_id = s.id
    ORDER BY first.enrolled_at, first.key_id LIMIT 1)
WHERE s.push_upto > 0;

-- The changes a box pushed name it (their source: its node, where it was "edge").
UPDATE changes SET source = COALESCE(
    (SELECT st.node FROM streams st WHERE st.store_id = changes.store_id), source)
WHERE source = 'edge';

ALTER TABLE inbox ADD COLUMN node TEXT;
UPDATE inbox SET node = COALESCE(
    (SELECT st.node FROM streams st WHERE st.store_id = inbox.store_id), '');
ALTER TABLE inbox ALTER COLUMN node SET NOT NULL;
ALTER TABLE inbox DROP CONSTRAINT inbox_pkey;
-- seq before node: the owner's inbox lists a store's events by seq (an index range, as before);
-- a box's own seqs are read as a range of them too, with the few other boxes' filtered out.
ALTER TABLE inbox ADD PRIMARY KEY (store_id, seq, node);

ALTER TABLE stores FORCE ROW LEVEL SECURITY;
ALTER TABLE devices FORCE ROW LEVEL SECURITY;
ALTER TABLE inbox FORCE ROW LEVEL SECURITY;
ALTER TABLE changes FORCE ROW LEVEL SECURITY;

GRANT SELECT, INSERT, UPDATE, DELETE ON streams TO galley_hub_app;
ALTER TABLE streams ENABLE ROW LEVEL SECURITY;
ALTER TABLE streams FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON streams USING (tenant_id = current_setting('galley.tenant', true));
