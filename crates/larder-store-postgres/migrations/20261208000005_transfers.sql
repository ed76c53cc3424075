-- Transfers between a tenant's locations (issue 9, item 4; ADR 021). A transfer is numbered per
-- tenant from a counter row bumped in the creating transaction; it is requested (lines
-- editable, versioned), sent (one transfer_out movement per line at the sender, the lots taken
-- kept with their code, expiry, quantity and cost), then received (transfer_in movements at
-- the receiver carrying those lots across; a line short or over keeps its discrepancy in
-- quantity and value), or cancelled before it is sent. Who and when of every status change
-- sit on the header.
CREATE TABLE transfer_counters (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    last_number  bigint NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (tenant_id)
);

CREATE TABLE transfers (
    tenant_id         uuid NOT NULL,
    id                uuid NOT NULL,
    number            bigint NOT NULL CHECK (number > 0),
    from_location_id  uuid NOT NULL,
    to_location_id    uuid NOT NULL,
    status            text NOT NULL CHECK (status IN ('requested', 'sent', 'received', 'cancelled')),
    note              text,
    version           bigint NOT NULL,
    requested_by      uuid NOT NULL,
    requested_at      timestamptz NOT NULL,
    sent_by           uuid,
    sent_at           timestamptz,
    received_by       uuid,
    received_at       timestamptz,
    cancelled_by      uuid,
    cancelled_at      timestamptz,
    cancel_reason     text,
    PRIMARY KEY (tenant_id, id),
    CHECK (from_location_id <> to_location_id),
    FOREIGN KEY (tenant_id, from_location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, to_location_id) REFERENCES locations (tenant_id, id)
);
CREATE UNIQUE INDEX transfers_number ON transfers (tenant_id, number);
CREATE INDEX transfers_status ON transfers (tenant_id, status, number);
CREATE INDEX transfers_sent ON transfers (tenant_id, sent_at) WHERE sent_at IS NOT NULL;

-- A line: the item and quantity asked for (and the amount as typed, "2 cases + 3 kg"); once
-- sent, the quantity and value that left the sender and the movement; once received, what
-- arrived, its value, and the discrepancy (received minus sent) in quantity and value.
CREATE TABLE transfer_lines (
    tenant_id              uuid NOT NULL,
    transfer_id            uuid NOT NULL,
    line_no                integer NOT NULL CHECK (line_no > 0),
    item_id                uuid NOT NULL,
    quantity               bigint NOT NULL CHECK (quantity > 0),
    amount                 text,
    sent_quantity          bigint,
    sent_value             bigint,
    out_movement_id        uuid,
    received_quantity      bigint CHECK (received_quantity >= 0),
    received_value         bigint,
    discrepancy_quantity   bigint,
    discrepancy_value      bigint,
    note                   text,
    PRIMARY KEY (tenant_id, transfer_id, line_no),
    FOREIGN KEY (tenant_id, transfer_id) REFERENCES transfers (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, out_movement_id) REFERENCES stock_movements (tenant_id, id)
);

-- What each line took from the sender's lots, in FEFO order (a part no lot covered has no
-- lot), with the lot's code and expiry as they were: the receiver opens one lot per row.
CREATE TABLE transfer_lots (
    tenant_id    uuid NOT NULL,
    transfer_id  uuid NOT NULL,
    line_no      integer NOT NULL,
    seq          integer NOT NULL CHECK (seq > 0),
    lot_id       uuid,
    code         text,
    expires_on   text CHECK (expires_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    quantity     bigint NOT NULL CHECK (quantity > 0),
    cost         bigint NOT NULL,
    PRIMARY KEY (tenant_id, transfer_id, line_no, seq),
    FOREIGN KEY (tenant_id, transfer_id, line_no) REFERENCES transfer_lines (tenant_id, transfer_id, line_no),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['transfer_counters', 'transfers', 'transfer_lines', 'transfer_lots']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE ON transfer_counters TO larder_app;
GRANT SELECT, INSERT, UPDATE ON transfers TO larder_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON transfer_lines TO larder_app;
GRANT SELECT, INSERT ON transfer_lots TO larder_app;
