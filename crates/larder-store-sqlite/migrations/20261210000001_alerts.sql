-- Alerts (issue 10, ADR 028): per-tenant rules, the alerts they raise (one open alert per rule
-- and case, resolved when the case clears), and each member's notifications and preferences.
CREATE TABLE alert_rules (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    id           BLOB NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('below_reorder_point', 'lot_expiring',
                     'waste_over_value', 'po_overdue', 'supplier_price_up', 'count_variance')),
    location_id  BLOB,
    -- days (lot_expiring, po_overdue), millionths of the currency (waste_over_value,
    -- count_variance), thousandths of a percent (supplier_price_up), 0 (below_reorder_point).
    threshold    INTEGER NOT NULL CHECK (threshold >= 0),
    enabled      INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    created_by   BLOB,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;

CREATE TABLE alerts (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id),
    id             BLOB NOT NULL,
    rule_id        BLOB NOT NULL,
    kind           TEXT NOT NULL,
    condition_key  TEXT NOT NULL,
    location_id    BLOB,
    subject        TEXT NOT NULL,
    detail         TEXT NOT NULL,
    raised_at      INTEGER NOT NULL,
    resolved_at    INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES alert_rules (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;
-- Raised once per case: at most one open alert per rule and key.
CREATE UNIQUE INDEX alerts_open ON alerts (tenant_id, rule_id, condition_key)
    WHERE resolved_at IS NULL;
CREATE INDEX alerts_state ON alerts (tenant_id, resolved_at, id);

CREATE TABLE notifications (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    id            BLOB NOT NULL,
    user_id       BLOB NOT NULL REFERENCES users (id),
    alert_id      BLOB NOT NULL,
    in_app        INTEGER NOT NULL CHECK (in_app IN (0, 1)),
    created_at    INTEGER NOT NULL,
    read_at       INTEGER,
    -- When its email goes (at once, after quiet hours, or with the digest); NULL: no email.
    email_due_at  INTEGER,
    emailed_at    INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, alert_id) REFERENCES alerts (tenant_id, id)
) STRICT;
CREATE INDEX notifications_user ON notifications (tenant_id, user_id, id);
CREATE INDEX notifications_unread ON notifications (tenant_id, user_id)
    WHERE read_at IS NULL AND in_app = 1;
CREATE INDEX notifications_email_due ON notifications (tenant_id, email_due_at)
    WHERE emailed_at IS NULL AND email_due_at IS NOT NULL;

-- A member's channels per alert kind (no row: in the centre, no email).
CREATE TABLE alert_preferences (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id),
    user_id    BLOB NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    in_app     INTEGER NOT NULL CHECK (in_app IN (0, 1)),
    email      TEXT NOT NULL CHECK (email IN ('off', 'immediate', 'digest')),
    PRIMARY KEY (tenant_id, user_id, kind)
) STRICT;

-- One row per tenant that a check or an email round locks first, so two processes take turns
-- (each then reads what the other committed).
CREATE TABLE alert_locks (
    tenant_id  BLOB PRIMARY KEY REFERENCES tenants (id)
) STRICT;

-- A member's quiet hours and digest time, in minutes after local midnight (tenant's zone).
CREATE TABLE notification_settings (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id),
    user_id        BLOB NOT NULL REFERENCES users (id),
    quiet_start    INTEGER CHECK (quiet_start BETWEEN 0 AND 1439),
    quiet_end      INTEGER CHECK (quiet_end BETWEEN 0 AND 1439),
    digest_minute  INTEGER NOT NULL CHECK (digest_minute BETWEEN 0 AND 1439),
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
) STRICT;
