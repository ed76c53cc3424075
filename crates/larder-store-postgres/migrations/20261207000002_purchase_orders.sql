-- procurement: purchase orders (ADR 013). A PO is numbered per tenant from a counter row
-- bumped in the creating transaction (the upsert locks the row, so two concurrent creates
-- never take one number); its lines are in whole packs of a supplier item, with the base-unit
-- quantity and the price per pack fixed on the line; every change of status is an event; the
-- PDF and CSV rendered when it is sent are kept as they were sent.
CREATE TABLE purchase_order_counters (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    last_number  bigint NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (tenant_id)
);

CREATE TABLE purchase_orders (
    tenant_id          uuid NOT NULL,
    id                 uuid NOT NULL,
    number             bigint NOT NULL CHECK (number > 0),
    supplier_id        uuid NOT NULL,
    location_id        uuid NOT NULL,
    status             text NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'sent',
                           'partially_received', 'received', 'cancelled', 'closed_short')),
    currency           text NOT NULL,
    expected_delivery  text COLLATE "C" NOT NULL,
    note               text,
    total              bigint NOT NULL CHECK (total >= 0),
    version            bigint NOT NULL,
    created_by         uuid NOT NULL,
    created_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_id) REFERENCES suppliers (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);
CREATE UNIQUE INDEX purchase_orders_number ON purchase_orders (tenant_id, number);
CREATE INDEX purchase_orders_status ON purchase_orders (tenant_id, status, number);

-- A line: packs of a supplier item (its item kept for the on-order sums), one pack's base
-- quantity, the line's base quantity (packs x pack), the price per pack and the line total as
-- ordered; received_quantity (base unit) is what goods receipts have added against it.
CREATE TABLE purchase_order_lines (
    tenant_id          uuid NOT NULL,
    purchase_order_id  uuid NOT NULL,
    line_no            integer NOT NULL CHECK (line_no > 0),
    supplier_item_id   uuid NOT NULL,
    item_id            uuid NOT NULL,
    packs              integer NOT NULL CHECK (packs > 0),
    pack_quantity      bigint NOT NULL CHECK (pack_quantity > 0),
    quantity           bigint NOT NULL CHECK (quantity > 0),
    price_per_pack     bigint NOT NULL CHECK (price_per_pack >= 0),
    line_total         bigint NOT NULL CHECK (line_total >= 0),
    received_quantity  bigint NOT NULL DEFAULT 0 CHECK (received_quantity >= 0),
    CONSTRAINT purchase_order_lines_line_no PRIMARY KEY (tenant_id, purchase_order_id, line_no),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_item_id) REFERENCES supplier_items (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id)
);
CREATE INDEX purchase_order_lines_item ON purchase_order_lines (tenant_id, item_id);

-- Every change of a PO's status, keyed by the version of the PO it made: appended, never
-- changed (the role has no UPDATE or DELETE on it).
CREATE TABLE purchase_order_events (
    tenant_id          uuid NOT NULL,
    purchase_order_id  uuid NOT NULL,
    version            bigint NOT NULL,
    from_status        text,
    to_status          text NOT NULL,
    actor              uuid NOT NULL,
    at                 timestamptz NOT NULL,
    note               text,
    CONSTRAINT purchase_order_events_version
        PRIMARY KEY (tenant_id, purchase_order_id, version),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id)
);

-- The documents rendered when a PO is sent (`pdf`, `csv`), kept byte for byte.
CREATE TABLE purchase_order_documents (
    tenant_id          uuid NOT NULL,
    purchase_order_id  uuid NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('pdf', 'csv')),
    content_type       text NOT NULL,
    body               bytea NOT NULL,
    rendered_at        timestamptz NOT NULL,
    CONSTRAINT purchase_order_documents_kind
        PRIMARY KEY (tenant_id, purchase_order_id, kind),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['purchase_order_counters', 'purchase_orders', 'purchase_order_lines',
                             'purchase_order_events', 'purchase_order_documents']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I
            USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid)
            WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON purchase_order_counters TO larder_app;
GRANT SELECT, INSERT, UPDATE ON purchase_orders TO larder_app;
-- Lines are replaced whole while the PO is a draft.
GRANT SELECT, INSERT, UPDATE, DELETE ON purchase_order_lines TO larder_app;
GRANT SELECT, INSERT ON purchase_order_events TO larder_app;
GRANT SELECT, INSERT ON purchase_order_documents TO larder_app;
