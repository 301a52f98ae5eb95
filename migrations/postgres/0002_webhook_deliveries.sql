-- Webhook deliveries: one row per event and webhook (the unique pair makes queuing the same event
-- from two replicas one delivery). `record` is the Delivery as JSON (its status and attempts
-- are the columns'), `event` the CloudEvent to send. A worker claims a row until
-- `claimed_until_ms`.
CREATE TABLE webhook_deliveries (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook          TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_ms          BIGINT NOT NULL,
    claimed_until_ms BIGINT NOT NULL DEFAULT 0,
    record           TEXT NOT NULL,
    event            TEXT NOT NULL,
    UNIQUE (webhook, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_ms);
