-- Webhooks (issue 10, ADR 027): per-tenant subscriptions to event types, and one delivery per
-- subscription and event with its attempts. A subscription's cursor is the last outbox
-- sequence number it has considered.
CREATE TABLE webhooks (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    url              text NOT NULL,
    description      text,
    event_types      text NOT NULL,
    secret           text NOT NULL,
    previous_secret  text,
    previous_until   timestamptz,
    active           integer NOT NULL CHECK (active IN (0, 1)),
    disabled_reason  text,
    cursor_seq       bigint NOT NULL CHECK (cursor_seq >= 0),
    failures         integer NOT NULL CHECK (failures >= 0),
    failing_since    timestamptz,
    created_by       uuid,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    version          bigint NOT NULL,
    CONSTRAINT webhooks_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT webhooks_url UNIQUE (tenant_id, url)
);

CREATE TABLE webhook_deliveries (
    tenant_id        uuid NOT NULL REFERENCES tenants (id),
    id               uuid NOT NULL,
    webhook_id       uuid NOT NULL,
    event_id         uuid NOT NULL,
    event_seq        bigint NOT NULL,
    event_type       text COLLATE "C" NOT NULL,
    status           text COLLATE "C" NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         integer NOT NULL CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL,
    last_status      integer,
    last_error       text,
    last_attempt_at  timestamptz,
    created_at       timestamptz NOT NULL,
    CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (tenant_id, id),
    CONSTRAINT webhook_deliveries_event UNIQUE (tenant_id, webhook_id, event_id),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id),
    FOREIGN KEY (tenant_id, event_seq) REFERENCES outbox (tenant_id, seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, status, next_attempt_at);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (tenant_id, webhook_id, id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['webhooks', 'webhook_deliveries']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE ON webhooks TO larder_app;
GRANT SELECT, INSERT, UPDATE ON webhook_deliveries TO larder_app;

-- The dispatcher's work list across tenants.
CREATE FUNCTION larder_webhook_tenants() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT DISTINCT tenant_id FROM webhooks WHERE active = 1 ORDER BY tenant_id $$;
GRANT EXECUTE ON FUNCTION larder_webhook_tenants() TO larder_app;
