-- procurement: purchase orders (ADR 013). A PO is numbered per tenant from a counter row
-- bumped in the creating transaction; its lines are in whole packs of a supplier item, with
-- the base-unit quantity and the price per pack fixed on the line; every change of status is
-- an event; the PDF and CSV rendered when it is sent are kept as they were sent.
CREATE TABLE purchase_order_counters (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    last_number  INTEGER NOT NULL CHECK (last_number > 0),
    PRIMARY KEY (tenant_id)
) STRICT;

CREATE TABLE purchase_orders (
    tenant_id          BLOB NOT NULL,
    id                 BLOB NOT NULL,
    number             INTEGER NOT NULL CHECK (number > 0),
    supplier_id        BLOB NOT NULL,
    location_id        BLOB NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'sent',
                           'partially_received', 'received', 'cancelled', 'closed_short')),
    currency           TEXT NOT NULL,
    expected_delivery  TEXT NOT NULL,
    note               TEXT,
    total              INTEGER NOT NULL CHECK (total >= 0),
    version            INTEGER NOT NULL,
    created_by         BLOB NOT NULL,
    created_at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_id) REFERENCES suppliers (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX purchase_orders_number ON purchase_orders (tenant_id, number);
CREATE INDEX purchase_orders_status ON purchase_orders (tenant_id, status, number);

-- A line: packs of a supplier item (its item kept for the on-order sums), one pack's base
-- quantity, the line's base quantity (packs x pack), the price per pack and the line total as
-- ordered; received_quantity (base unit) is what goods receipts have added against it.
CREATE TABLE purchase_order_lines (
    tenant_id          BLOB NOT NULL,
    purchase_order_id  BLOB NOT NULL,
    line_no            INTEGER NOT NULL CHECK (line_no > 0),
    supplier_item_id   BLOB NOT NULL,
    item_id            BLOB NOT NULL,
    packs              INTEGER NOT NULL CHECK (packs > 0),
    pack_quantity      INTEGER NOT NULL CHECK (pack_quantity > 0),
    quantity           INTEGER NOT NULL CHECK (quantity > 0),
    price_per_pack     INTEGER NOT NULL CHECK (price_per_pack >= 0),
    line_total         INTEGER NOT NULL CHECK (line_total >= 0),
    received_quantity  INTEGER NOT NULL DEFAULT 0 CHECK (received_quantity >= 0),
    PRIMARY KEY (tenant_id, purchase_order_id, line_no),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_item_id) REFERENCES supplier_items (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id)
) STRICT;
CREATE INDEX purchase_order_lines_item ON purchase_order_lines (tenant_id, item_id);

-- Every change of a PO's status, keyed by the version of the PO it made: appended, never
-- changed.
CREATE TABLE purchase_order_events (
    tenant_id          BLOB NOT NULL,
    purchase_order_id  BLOB NOT NULL,
    version            INTEGER NOT NULL,
    from_status        TEXT,
    to_status          TEXT NOT NULL,
    actor              BLOB NOT NULL,
    at                 INTEGER NOT NULL,
    note               TEXT,
    PRIMARY KEY (tenant_id, purchase_order_id, version),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id)
) STRICT;

-- The documents rendered when a PO is sent (`pdf`, `csv`), kept byte for byte.
CREATE TABLE purchase_order_documents (
    tenant_id          BLOB NOT NULL,
    purchase_order_id  BLOB NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('pdf', 'csv')),
    content_type       TEXT NOT NULL,
    body               BLOB NOT NULL,
    rendered_at        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, purchase_order_id, kind),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id)
) STRICT;
