-- Goods receipts (issue 8, ADR 015): a delivery received at a location, against a purchase
-- order or without one (a walk-in purchase). Each accepted line posted one receipt movement
-- that opened a lot; a rejected quantity is recorded with its reason and moves no stock.
-- Appended, never changed: a mistake is corrected by a compensating movement.
CREATE TABLE goods_receipts (
    tenant_id          BLOB NOT NULL,
    id                 BLOB NOT NULL,
    purchase_order_id  BLOB,
    supplier_id        BLOB,
    location_id        BLOB NOT NULL,
    received_at        INTEGER NOT NULL,
    delivery_note      TEXT,
    note               TEXT,
    created_by         BLOB NOT NULL,
    created_at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_id) REFERENCES suppliers (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;
CREATE INDEX goods_receipts_purchase_order ON goods_receipts (tenant_id, purchase_order_id);
CREATE INDEX goods_receipts_received ON goods_receipts (tenant_id, received_at);

-- One line: what was accepted (base units; in packs too when a supplier item was named), at
-- what price and cost, the ordered price when the line is against a PO line (a differing price
-- is flagged), a substituted supplier item, the rejected quantity with its reason, and the
-- lot and movement it made.
CREATE TABLE goods_receipt_lines (
    tenant_id               BLOB NOT NULL,
    goods_receipt_id        BLOB NOT NULL,
    line_no                 INTEGER NOT NULL CHECK (line_no > 0),
    po_line_no              INTEGER,
    supplier_item_id        BLOB,
    item_id                 BLOB NOT NULL,
    packs                   INTEGER,
    quantity                INTEGER NOT NULL CHECK (quantity >= 0),
    price_per_pack          INTEGER CHECK (price_per_pack >= 0),
    unit_cost               INTEGER NOT NULL CHECK (unit_cost >= 0),
    value                   INTEGER NOT NULL CHECK (value >= 0),
    ordered_price_per_pack  INTEGER,
    substituted             INTEGER NOT NULL CHECK (substituted IN (0, 1)),
    rejected_quantity       INTEGER NOT NULL CHECK (rejected_quantity >= 0),
    rejection_reason        TEXT,
    lot_code                TEXT,
    expires_on              TEXT CHECK (expires_on IS NULL OR expires_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    movement_id             BLOB,
    lot_id                  BLOB,
    PRIMARY KEY (tenant_id, goods_receipt_id, line_no),
    FOREIGN KEY (tenant_id, goods_receipt_id) REFERENCES goods_receipts (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_item_id) REFERENCES supplier_items (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, movement_id) REFERENCES stock_movements (tenant_id, id),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id)
) STRICT;

CREATE TRIGGER goods_receipts_no_update BEFORE UPDATE ON goods_receipts
BEGIN SELECT RAISE(ABORT, 'goods_receipts is append-only'); END;
CREATE TRIGGER goods_receipts_no_delete BEFORE DELETE ON goods_receipts
BEGIN SELECT RAISE(ABORT, 'goods_receipts is append-only'); END;
CREATE TRIGGER goods_receipt_lines_no_update BEFORE UPDATE ON goods_receipt_lines
BEGIN SELECT RAISE(ABORT, 'goods_receipt_lines is append-only'); END;
CREATE TRIGGER goods_receipt_lines_no_delete BEFORE DELETE ON goods_receipt_lines
BEGIN SELECT RAISE(ABORT, 'goods_receipt_lines is append-only'); END;
