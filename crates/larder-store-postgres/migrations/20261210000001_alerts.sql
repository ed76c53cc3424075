-- Alerts (issue 10, ADR 028): per-tenant rules, the alerts they raise (one open alert per rule
-- and case, resolved when the case clears), and each member's notifications and preferences.
CREATE TABLE alert_rules (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    id           uuid NOT NULL,
    kind         text COLLATE "C" NOT NULL CHECK (kind IN ('below_reorder_point', 'lot_expiring',
                     'waste_over_value', 'po_overdue', 'supplier_price_up', 'count_variance')),
    location_id  uuid,
    -- days (lot_expiring, po_overdue), millionths of the currency (waste_over_value,
    -- count_variance), thousandths of a percent (supplier_price_up), 0 (below_reorder_point).
    threshold    bigint NOT NULL CHECK (threshold >= 0),
    enabled      integer NOT NULL CHECK (enabled IN (0, 1)),
    created_by   uuid,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);

CREATE TABLE alerts (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    id             uuid NOT NULL,
    rule_id        uuid NOT NULL,
    kind           text COLLATE "C" NOT NULL,
    condition_key  text COLLATE "C" NOT NULL,
    location_id    uuid,
    subject        text NOT NULL,
    detail         text NOT NULL,
    raised_at      timestamptz NOT NULL,
    resolved_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES alert_rules (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);
-- Raised once per case: at most one open alert per rule and key.
CREATE UNIQUE INDEX alerts_open ON alerts (tenant_id, rule_id, condition_key)
    WHERE resolved_at IS NULL;
CREATE INDEX alerts_state ON alerts (tenant_id, resolved_at, id);

CREATE TABLE notifications (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    id            uuid NOT NULL,
    user_id       uuid NOT NULL REFERENCES users (id),
    alert_id      uuid NOT NULL,
    in_app        integer NOT NULL CHECK (in_app IN (0, 1)),
    created_at    timestamptz NOT NULL,
    read_at       timestamptz,
    -- When its email goes (at once, after quiet hours, or with the digest); NULL: no email.
    email_due_at  timestamptz,
    emailed_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, alert_id) REFERENCES alerts (tenant_id, id)
);
CREATE INDEX notifications_user ON notifications (tenant_id, user_id, id);
CREATE INDEX notifications_unread ON notifications (tenant_id, user_id)
    WHERE read_at IS NULL AND in_app = 1;
CREATE INDEX notifications_email_due ON notifications (tenant_id, email_due_at)
    WHERE emailed_at IS NULL AND email_due_at IS NOT NULL;

-- A member's channels per alert kind (no row: in the centre, no email).
CREATE TABLE alert_preferences (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    user_id    uuid NOT NULL REFERENCES users (id),
    kind       text COLLATE "C" NOT NULL,
    in_app     integer NOT NULL CHECK (in_app IN (0, 1)),
    email      text COLLATE "C" NOT NULL CHECK (email IN ('off', 'immediate', 'digest')),
    PRIMARY KEY (tenant_id, user_id, kind)
);

-- One row per tenant that a check or an email round locks first, so two processes take turns
-- (each then reads what the other committed).
CREATE TABLE alert_locks (
    tenant_id  uuid PRIMARY KEY REFERENCES tenants (id)
);

-- A member's quiet hours and digest time, in minutes after local midnight (tenant's zone).
CREATE TABLE notification_settings (
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    user_id        uuid NOT NULL REFERENCES users (id),
    quiet_start    integer CHECK (quiet_start BETWEEN 0 AND 1439),
    quiet_end      integer CHECK (quiet_end BETWEEN 0 AND 1439),
    digest_minute  integer NOT NULL CHECK (digest_minute BETWEEN 0 AND 1439),
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['alert_rules', 'alerts', 'notifications', 'alert_preferences',
                             'notification_settings', 'alert_locks']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE ON alert_rules TO larder_app;
GRANT SELECT, INSERT, UPDATE ON alerts TO larder_app;
GRANT SELECT, INSERT, UPDATE ON notifications TO larder_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON alert_preferences TO larder_app;
GRANT SELECT, INSERT, UPDATE ON notification_settings TO larder_app;
GRANT SELECT, INSERT, UPDATE ON alert_locks TO larder_app;

-- The alert loop's work list across tenants: those with a rule switched on, an alert open (a
-- rule switched off still resolves its alerts) or an email due. As the other work lists
-- (ADR 005), its tables apply row security to all but their owner.
ALTER TABLE alert_rules NO FORCE ROW LEVEL SECURITY;
ALTER TABLE alerts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE notifications NO FORCE ROW LEVEL SECURITY;
CREATE FUNCTION larder_alert_tenants() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT tenant_id FROM alert_rules WHERE enabled = 1
          UNION
          SELECT tenant_id FROM alerts WHERE resolved_at IS NULL
          UNION
          SELECT tenant_id FROM notifications
           WHERE emailed_at IS NULL AND email_due_at IS NOT NULL
          ORDER BY 1 $$;
GRANT EXECUTE ON FUNCTION larder_alert_tenants() TO larder_app;
