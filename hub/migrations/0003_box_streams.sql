-- Each box's events, a stream of their own: a box numbers its events with a counter of its own
-- (its seq), which a box made anew for the store (a new card) starts at 1 again, and two boxes
-- of one store count apart. A stream is a store's and a box's node (the name the box made at its
-- first boot and enrolled with, devices.node): a box enrolled again with a new key keeps its
-- stream; another box has its own. push_upto: the last seq of the stream the hub holds.
-- (stores.push_upto stays: the cursor of the box that pushed last, as the owner's list shows.)
CREATE TABLE streams (
    store_id TEXT NOT NULL REFERENCES stores (id),
    node TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    push_upto BIGINT NOT NULL,
    PRIMARY KEY (store_id, node)
);
