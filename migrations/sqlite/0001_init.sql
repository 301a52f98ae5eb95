-- The gateway's durable state (SQLite). Times are Unix milliseconds (the gateway's clock).

-- Operations: the columns lists filter and sort on, and the operation itself as JSON.
CREATE TABLE operations (
    id          TEXT PRIMARY KEY,
    provider    TEXT NOT NULL,
    status      TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX operations_newest ON operations (created_ms DESC, id DESC);
CREATE INDEX operations_status ON operations (status);

-- Idempotency keys: one row per (caller-scoped) key; the row is the claim.
CREATE TABLE idempotency (
    key         TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    holder      TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    created_ms  INTEGER NOT NULL,
    outcome     TEXT
);
CREATE INDEX idempotency_created ON idempotency (created_ms);

-- The event log; AUTOINCREMENT so a position is never reused, even after pruning.
CREATE TABLE events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms INTEGER NOT NULL,
    body    TEXT NOT NULL
);
CREATE INDEX events_time ON events (time_ms);

-- Named leases (operation followers, janitors).
CREATE TABLE leases (
    name     TEXT PRIMARY KEY,
    holder   TEXT NOT NULL,
    until_ms INTEGER NOT NULL
);

-- Small facts about the store: the stream name, how far events were pruned.
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
