-- Events (issue 10, ADR 025): the transactional outbox. Each tenant's events carry a gap-free
-- sequence taken from its event_heads row by the committing transaction, so sequence order is
-- commit order; outbox_relay is how far the relay has published them to the broker.
CREATE TABLE event_heads (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id),
    event_seq  INTEGER NOT NULL CHECK (event_seq >= 0),
    PRIMARY KEY (tenant_id)
) STRICT;

CREATE TABLE outbox (
    tenant_id       BLOB NOT NULL REFERENCES tenants (id),
    seq             INTEGER NOT NULL CHECK (seq > 0),
    id              BLOB NOT NULL,
    event_type      TEXT NOT NULL,
    location_id     BLOB,
    occurred_at     INTEGER NOT NULL,
    recorded_at     INTEGER NOT NULL,
    actor           BLOB,
    schema_version  INTEGER NOT NULL,
    data            TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX outbox_id ON outbox (tenant_id, id);

CREATE TABLE outbox_relay (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    relayed_seq  INTEGER NOT NULL CHECK (relayed_seq >= 0),
    PRIMARY KEY (tenant_id)
) STRICT;

-- The outbox is append-only, as the ledger is.
CREATE TRIGGER outbox_no_update BEFORE UPDATE ON outbox
BEGIN SELECT RAISE(ABORT, 'the outbox is append-only'); END;
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'the outbox is append-only'); END;

-- The audit log (ADR 026): each tenant's records numbered from 1 and chained by SHA-256 over
-- the previous record's hash and the record's canonical bytes; audit_heads holds the last
-- number and hash.
CREATE TABLE audit_heads (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id),
    seq        INTEGER NOT NULL CHECK (seq >= 0),
    hash       BLOB NOT NULL,
    PRIMARY KEY (tenant_id)
) STRICT;

CREATE TABLE audit_log (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    seq          INTEGER NOT NULL CHECK (seq > 0),
    id           BLOB NOT NULL,
    at           INTEGER NOT NULL,
    actor        BLOB,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT,
    summary      TEXT NOT NULL,
    request_id   TEXT,
    client_addr  TEXT,
    prev_hash    BLOB NOT NULL,
    hash         BLOB NOT NULL,
    PRIMARY KEY (tenant_id, seq)
) STRICT;
CREATE INDEX audit_log_target ON audit_log (tenant_id, target_id, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
