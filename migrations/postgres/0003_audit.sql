-- The audit log: every change and every refusal, oldest first by `seq`. The columns lists
-- filter on, and the record itself as JSON.
CREATE TABLE audit (
    seq      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time_ms  BIGINT NOT NULL,
    caller   TEXT NOT NULL,
    provider TEXT NOT NULL DEFAULT '',
    outcome  TEXT NOT NULL,
    record   TEXT NOT NULL
);
CREATE INDEX audit_time ON audit (time_ms);
