-- Webhooks (issue 10, ADR 027): per-tenant subscriptions to event types, and one delivery per
-- subscription and event with its attempts. A subscription's cursor is the last outbox
-- sequence number it has considered.
CREATE TABLE webhooks (
    tenant_id        BLOB NOT NULL REFERENCES tenants (id),
    id               BLOB NOT NULL,
    url              TEXT NOT NULL,
    description      TEXT,
    event_types      TEXT NOT NULL,
    secret           TEXT NOT NULL,
    previous_secret  TEXT,
    previous_until   INTEGER,
    active           INTEGER NOT NULL CHECK (active IN (0, 1)),
    disabled_reason  TEXT,
    cursor_seq       INTEGER NOT NULL CHECK (cursor_seq >= 0),
    failures         INTEGER NOT NULL CHECK (failures >= 0),
    failing_since    INTEGER,
    created_by       BLOB,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    version          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX webhooks_url ON webhooks (tenant_id, url);

CREATE TABLE webhook_deliveries (
    tenant_id        BLOB NOT NULL REFERENCES tenants (id),
    id               BLOB NOT NULL,
    webhook_id       BLOB NOT NULL,
    event_id         BLOB NOT NULL,
    event_seq        INTEGER NOT NULL,
    event_type       TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at  INTEGER NOT NULL,
    last_status      INTEGER,
    last_error       TEXT,
    last_attempt_at  INTEGER,
    created_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id),
    FOREIGN KEY (tenant_id, event_seq) REFERENCES outbox (tenant_id, seq)
) STRICT;
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (tenant_id, webhook_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, status, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, webhook_id, id);
