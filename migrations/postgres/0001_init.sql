-- The gateway's durable state (PostgreSQL). Times are Unix milliseconds (the gateway's clock).

-- Operations: the columns lists filter and sort on, and the operation itself as JSON.
CREATE TABLE operations (
    id          TEXT PRIMARY KEY,
    provider    TEXT NOT NULL,
    status      TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX operations_newest ON operations (created_ms DESC, id DESC);
CREATE INDEX operations_status ON operations (status);

-- Idempotency keys: one row per (caller-scoped) key; the row is the claim.
CREATE TABLE idempotency (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    holder      TEXT NOT NULL,
    lease_until BIGINT NOT NULL,
    created_ms  BIGINT NOT NULL,
    outcome     TEXT
);
CREATE INDEX idempotency_created ON idempotency (created_ms);

-- The event log; an identity column never reuses a position. Appends take a table lock so positions also
-- commit in order (see src/store/sql/events.rs).
CREATE TABLE events (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time_ms BIGINT NOT NULL,
    body    TEXT NOT NULL
);
CREATE INDEX events_time ON events (time_ms);

-- Named leases (operation followers, janitors).
CREATE TABLE leases (
    name     TEXT PRIMARY KEY,
    holder   TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);

-- Small facts about the store: the stream name, how far events were pruned.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
