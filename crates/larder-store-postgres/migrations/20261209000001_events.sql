-- Events (issue 10, ADR 025): the transactional outbox. Each tenant's events carry a gap-free
-- sequence taken from its event_heads row by the committing transaction, so sequence order is
-- commit order; outbox_relay is how far the relay has published them to the broker.
CREATE TABLE event_heads (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    event_seq  bigint NOT NULL CHECK (event_seq >= 0),
    CONSTRAINT event_heads_pkey PRIMARY KEY (tenant_id)
);

CREATE TABLE outbox (
    tenant_id       uuid NOT NULL REFERENCES tenants (id),
    seq             bigint NOT NULL CHECK (seq > 0),
    id              uuid NOT NULL,
    event_type      text COLLATE "C" NOT NULL,
    location_id     uuid,
    occurred_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    actor           uuid,
    schema_version  bigint NOT NULL,
    data            text NOT NULL,
    CONSTRAINT outbox_pkey PRIMARY KEY (tenant_id, seq),
    CONSTRAINT outbox_id UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);

CREATE TABLE outbox_relay (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    relayed_seq  bigint NOT NULL CHECK (relayed_seq >= 0),
    CONSTRAINT outbox_relay_pkey PRIMARY KEY (tenant_id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['event_heads', 'outbox', 'outbox_relay']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
-- The outbox is append-only, as the ledger is.
CREATE TRIGGER outbox_append_only BEFORE UPDATE OR DELETE ON outbox
    FOR EACH ROW EXECUTE FUNCTION larder_append_only();
GRANT SELECT, INSERT, UPDATE ON event_heads TO larder_app;
GRANT SELECT, INSERT ON outbox TO larder_app;
GRANT SELECT, INSERT, UPDATE ON outbox_relay TO larder_app;

-- The relay's work list across tenants (row-level security hides other tenants' rows).
CREATE FUNCTION larder_unrelayed_tenants() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT h.tenant_id FROM event_heads h
          LEFT JOIN outbox_relay r ON r.tenant_id = h.tenant_id
          WHERE h.event_seq > COALESCE(r.relayed_seq, 0) ORDER BY h.tenant_id $$;
GRANT EXECUTE ON FUNCTION larder_unrelayed_tenants() TO larder_app;

-- The audit log (ADR 026): each tenant's records numbered from 1 and chained by SHA-256 over
-- the previous record's hash and the record's canonical bytes; audit_heads holds the last
-- number and hash, locked by the transaction that extends the chain.
CREATE TABLE audit_heads (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    seq        bigint NOT NULL CHECK (seq >= 0),
    hash       bytea NOT NULL,
    CONSTRAINT audit_heads_pkey PRIMARY KEY (tenant_id)
);

CREATE TABLE audit_log (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    seq          bigint NOT NULL CHECK (seq > 0),
    id           uuid NOT NULL,
    at           timestamptz NOT NULL,
    actor        uuid,
    action       text COLLATE "C" NOT NULL,
    target_type  text COLLATE "C" NOT NULL,
    target_id    text COLLATE "C",
    summary      text NOT NULL,
    request_id   text,
    client_addr  text,
    prev_hash    bytea NOT NULL,
    hash         bytea NOT NULL,
    CONSTRAINT audit_log_pkey PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_target ON audit_log (tenant_id, target_id, seq);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['audit_heads', 'audit_log']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION larder_append_only();
GRANT SELECT, INSERT, UPDATE ON audit_heads TO larder_app;
GRANT SELECT, INSERT ON audit_log TO larder_app;
