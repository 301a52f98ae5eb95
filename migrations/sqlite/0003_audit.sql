-- The audit log: every change and every refusal, oldest first by `seq`. The columns lists
-- filter on, and the record itself as JSON.
CREATE TABLE audit (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms  INTEGER NOT NULL,
    caller   TEXT NOT NULL,
    provider TEXT NOT NULL DEFAULT '',
    outcome  TEXT NOT NULL,
    record   TEXT NOT NULL
);
CREATE INDEX audit_time ON audit (time_ms);
