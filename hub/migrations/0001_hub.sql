-- The hub's tables, in SQL both SQLite and PostgreSQL speak. Every table but `tenants` holds a
-- tenant_id and every query names it; on PostgreSQL row-level security holds it too
-- (0001_hub.postgresql.sql). Times are UTC ISO-8601 text, as on the edge; JSON is text.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- One owner signs in to one tenant: the email is unique across the hub.
CREATE TABLE owners (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX owners_tenant ON owners (tenant_id);

-- A signed-in owner: sha256 of the bearer token, never the token.
CREATE TABLE owner_sessions (
    token_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    owner_id TEXT NOT NULL REFERENCES owners (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at TEXT
);

-- push_upto: the last seq of the store's own events the hub holds (its push cursor).
CREATE TABLE stores (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    push_upto BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX stores_tenant ON stores (tenant_id, name);

-- One-time codes that bind a box's key to a store: sha256 of the code, never the code.
CREATE TABLE enrolment_codes (
    code_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    store_id TEXT NOT NULL REFERENCES stores (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_by TEXT
);
CREATE INDEX enrolment_codes_store ON enrolment_codes (store_id);

-- A box's public key, bound to one store of one tenant; revoked keys stay, refused.
CREATE TABLE devices (
    key_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    store_id TEXT NOT NULL REFERENCES stores (id),
    public_key_pem TEXT NOT NULL,
    node TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX devices_store ON devices (store_id);

-- Nonces of signed requests, kept for the signature window (`at` in unix seconds) to refuse
-- a replay; older ones are pruned as the key signs new requests.
CREATE TABLE nonces (
    key_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    at BIGINT NOT NULL,
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX nonces_age ON nonces (key_id, at);

-- The hub's copy of each store's synced rows. rev: the change cursor of the row's last change;
-- field_revs: {field: [rev, source]}, who changed each field when (sync.merge).
CREATE TABLE rows (
    store_id TEXT NOT NULL REFERENCES stores (id),
    entity TEXT NOT NULL,
    id TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    rev BIGINT NOT NULL,
    fields TEXT NOT NULL,
    field_revs TEXT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (store_id, entity, id)
);

-- Every event a store pushed, once (the primary key is the exactly-once), with its verdict:
-- the audit of what the hub did with each.
CREATE TABLE inbox (
    store_id TEXT NOT NULL REFERENCES stores (id),
    seq BIGINT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    event_id TEXT NOT NULL,
    status TEXT NOT NULL,
    event TEXT NOT NULL,
    verdict TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (store_id, seq)
);

-- Sync requests the hub refused (bad signature, replay, revoked key, used code ...): who,
-- what and why, never a secret. tenant_id is null when the request named no known key or code.
CREATE TABLE refusals (
    id TEXT PRIMARY KEY,
    tenant_id TEXT REFERENCES tenants (id),
    store_id TEXT,
    key_id TEXT,
    request TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    client TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX refusals_tenant ON refusals (tenant_id, id);
