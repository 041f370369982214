-- Each store's change feed (what a pull reads). The cursor is one sequence for the whole hub.
CREATE TABLE changes (
    cursor BIGSERIAL PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    store_id TEXT NOT NULL REFERENCES stores (id),
    id TEXT NOT NULL,
    hlc TEXT NOT NULL,
    at TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op TEXT NOT NULL,
    fields TEXT NOT NULL,
    rev BIGINT NOT NULL,
    actor TEXT,
    source TEXT NOT NULL,
    seq BIGINT,
    kept TEXT NOT NULL
);
CREATE INDEX changes_feed ON changes (store_id, cursor);

-- The role the hub's processes act as: it owns nothing, so row-level security holds it. An
-- operator makes it once per server, so that the tables' owner needs no right to make roles,
-- and grants it to the login role the hub connects with (README, "Hub on PostgreSQL"); it is
-- made here only where it is missing (a superuser migrating, as the tests do).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'galley_hub_app') THEN
        CREATE ROLE galley_hub_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- another database of this server made it first
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, owners, owner_sessions, stores,
    enrolment_codes, devices, nonces, rows, inbox, refusals, changes TO galley_hub_app;
GRANT USAGE ON SEQUENCE changes_cursor_seq TO galley_hub_app;
GRANT SELECT ON hub_schema TO galley_hub_app;

-- Row-level security: a transaction sees the rows of the tenant it set
-- (SELECT set_config('galley.tenant', id, true)) and nothing else, WHERE clause or not.
-- FORCE: the tables' owner is held too.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON tenants USING (id = current_setting('galley.tenant', true));

ALTER TABLE owners ENABLE ROW LEVEL SECURITY;
ALTER TABLE owners FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON owners USING (tenant_id = current_setting('galley.tenant', true));

ALTER TABLE owner_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE owner_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON owner_sessions
    USING (tenant_id = current_setting('galley.tenant', true));

ALTER TABLE stores ENABLE ROW LEVEL SECURITY;
ALTER TABLE stores FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON stores USING (tenant_id = current_setting('galley.tenant', true));

ALTER TABLE enrolment_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE enrolment_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON enrolment_codes
    USING (tenant_id = current_setting('galley.tenant', true));

ALTER TABLE devices ENABLE ROW LEVEL SECURITY;
ALTER TABLE devices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON devices USING (tenant_id = current_setting('galley.tenant', true));

ALTER TABLE nonces ENABLE ROW LEVEL SECURITY;
ALTER TABLE nonces FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON nonces USING (tenant_id = current_setting('galley.tenant', true));

ALTER TABLE rows ENABLE ROW LEVEL SECURITY;
ALTER TABLE rows FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON rows USING (tenant_id = current_setting('galley.tenant', true));

ALTER TABLE inbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE inbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON inbox USING (tenant_id = current_setting('galley.tenant', true));

ALTER TABLE refusals ENABLE ROW LEVEL SECURITY;
ALTER TABLE refusals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON refusals USING (tenant_id = current_setting('galley.tenant', true));
-- A refused request that named no known key or code belongs to no tenant: it may be recorded,
-- and no tenant reads it.
CREATE POLICY unknown ON refusals FOR INSERT WITH CHECK (tenant_id IS NULL);

ALTER TABLE changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE changes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON changes USING (tenant_id = current_setting('galley.tenant', true));

-- Before the hub knows the tenant, it finds one row by what the request holds: an owner by
-- email, a session by its token's hash, an enrolment code by its hash, a device by its key id
-- (SELECT set_config('galley.lookup', value, true)). Each policy shows that row only.
CREATE POLICY lookup ON owners FOR SELECT
    USING (email = current_setting('galley.lookup', true));
CREATE POLICY lookup ON owner_sessions FOR SELECT
    USING (token_hash = current_setting('galley.lookup', true));
CREATE POLICY lookup ON enrolment_codes FOR SELECT
    USING (code_hash = current_setting('galley.lookup', true));
CREATE POLICY lookup ON devices FOR SELECT
    USING (key_id = current_setting('galley.lookup', true));
