-- A store's events pushed before: the stream of the store's first box (the node of its first
-- enrolled key; a box enrolled again kept its node). The inbox is keyed by seq and node (seq
-- first: the owner's inbox lists a store's events by seq, an index range as before; a box's own
-- seqs are a range of it too, the few other boxes' filtered out): made again, as SQLite changes
-- no primary key in place.
INSERT INTO streams (store_id, node, tenant_id, push_upto)
SELECT s.id, d.node, s.tenant_id, s.push_upto FROM stores s JOIN devices d ON d.key_id = (
    SELECT first.key_id FROM devices first WHERE first.store_id = s.id
    ORDER BY first.enrolled_at, first.key_id LIMIT 1)
WHERE s.push_upto > 0;

-- The changes a box pushed name it (their source: its node, where it was "edge").
UPDATE changes SET source = COALESCE(
    (SELECT st.node FROM streams st WHERE st.store_id = changes.store_id), source)
WHERE source = 'edge';

CREATE TABLE inbox_streams (
    store_id TEXT NOT NULL REFERENCES stores (id),
    node TEXT NOT NULL,
    seq BIGINT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    event_id TEXT NOT NULL,
    status TEXT NOT NULL,
    event TEXT NOT NULL,
    verdict TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (store_id, seq, node)
);
INSERT INTO inbox_streams (store_id, node, seq, tenant_id, event_id, status, event, verdict, at)
SELECT i.store_id, COALESCE(st.node, ''), i.seq, i.tenant_id, i.event_id, i.status, i.event,
    i.verdict, i.at
FROM inbox i LEFT JOIN streams st ON st.store_id = i.store_id;
DROP TABLE inbox;
ALTER TABLE inbox_streams RENAME TO inbox;
