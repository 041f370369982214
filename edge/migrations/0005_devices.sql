-- Paired staff devices: staff read the roster and sign in only on a device a manager paired
-- with the box (guests share the store's Wi-Fi). Wrong PINs count per staff member and device,
-- with an account-wide lock above them; a sign-in records the device it was made on and, once
-- ended, why. All of it is local: it never leaves the box.
--
-- Growth: a store pairs a handful of devices and makes a pairing code for each (a few rows a
-- year); pin_failures holds at most one row per staff member and device, pin_lockouts one per
-- staff member.

CREATE TABLE devices (
    id               TEXT PRIMARY KEY,          -- UUIDv7
    name             TEXT NOT NULL,             -- "Bar tablet": given when paired
    secret_hash      TEXT NOT NULL UNIQUE,      -- sha256 of the device credential, never it
    paired_by        TEXT NOT NULL,             -- who made the code: a staff id, or "system"
    paired_at        TEXT NOT NULL,
    revoked_at       TEXT,
    revoked_by       TEXT,
    last_sign_in_at  TEXT,                      -- written at sign-in, not on every request
    hub_rev          INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE pairing_codes (
    id          TEXT PRIMARY KEY,               -- sha256 of the code, never the code
    name        TEXT NOT NULL DEFAULT '',       -- the new device's name, if the maker gave one
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,                           -- a code pairs one device, once
    device_id   TEXT REFERENCES devices (id),
    hub_rev     INTEGER NOT NULL DEFAULT 0
);

-- Counted per staff member until now; from here per staff member and device. The old counts
-- (none per device) start again.
DROP TABLE pin_failures;
CREATE TABLE pin_failures (
    id               TEXT PRIMARY KEY,          -- UUIDv7
    staff_id         TEXT NOT NULL REFERENCES staff (id),
    device_id        TEXT NOT NULL REFERENCES devices (id),
    failures         INTEGER NOT NULL,          -- attempts in a row without a right PIN
    locked_until     TEXT,
    hour_started_at  TEXT,                      -- the hour the next column counts in
    hour_failures    INTEGER NOT NULL DEFAULT 0, -- wrong PINs checked in that hour
    hub_rev          INTEGER NOT NULL DEFAULT 0,
    UNIQUE (staff_id, device_id)
);

-- The account-wide lock: many wrong PINs within an hour from several devices.
CREATE TABLE pin_lockouts (
    id            TEXT PRIMARY KEY REFERENCES staff (id),
    failures      INTEGER NOT NULL,             -- the wrong PINs that locked it
    devices       INTEGER NOT NULL,             -- on how many devices
    locked_until  TEXT,
    hub_rev       INTEGER NOT NULL DEFAULT 0
);

-- A sign-in made before devices were paired has no device: it no longer lets anyone in.
ALTER TABLE staff_sessions ADD COLUMN device_id TEXT REFERENCES devices (id);
ALTER TABLE staff_sessions ADD COLUMN end_reason TEXT;
CREATE INDEX staff_sessions_device ON staff_sessions (device_id);
