-- Supplier invoices (issue 8, ADR 016): what a supplier bills, optionally against a purchase
-- order and the goods receipts it covers; each line bills packs of a supplier item at a price,
-- optionally naming the receipt line it bills. The invoice number is unique per supplier.
-- Appended, never changed: a correction will be a credit note.
CREATE TABLE invoices (
    tenant_id          BLOB NOT NULL,
    id                 BLOB NOT NULL,
    supplier_id        BLOB NOT NULL,
    invoice_number     TEXT NOT NULL,
    invoice_date       TEXT NOT NULL CHECK (invoice_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    purchase_order_id  BLOB,
    currency           TEXT NOT NULL,
    total              INTEGER NOT NULL CHECK (total >= 0),
    stated_total       INTEGER CHECK (stated_total >= 0),
    note               TEXT,
    created_by         BLOB NOT NULL,
    created_at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_id) REFERENCES suppliers (tenant_id, id),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX invoices_invoice_number ON invoices (tenant_id, supplier_id, invoice_number);
CREATE INDEX invoices_purchase_order ON invoices (tenant_id, purchase_order_id);

-- The goods receipts an invoice covers (named on it, or billed by one of its lines).
CREATE TABLE invoice_receipts (
    tenant_id         BLOB NOT NULL,
    invoice_id        BLOB NOT NULL,
    goods_receipt_id  BLOB NOT NULL,
    PRIMARY KEY (tenant_id, invoice_id, goods_receipt_id),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
    FOREIGN KEY (tenant_id, goods_receipt_id) REFERENCES goods_receipts (tenant_id, id)
) STRICT;
CREATE INDEX invoice_receipts_goods_receipt ON invoice_receipts (tenant_id, goods_receipt_id);

-- One line: packs (thousandths) of a supplier item, the same in the item's base unit, the
-- price per pack and packs x price (half even to the millionth), and the receipt line billed.
CREATE TABLE invoice_lines (
    tenant_id         BLOB NOT NULL,
    invoice_id        BLOB NOT NULL,
    line_no           INTEGER NOT NULL CHECK (line_no > 0),
    supplier_item_id  BLOB NOT NULL,
    item_id           BLOB NOT NULL,
    packs             INTEGER NOT NULL CHECK (packs > 0),
    quantity          INTEGER NOT NULL CHECK (quantity > 0),
    price_per_pack    INTEGER NOT NULL CHECK (price_per_pack >= 0),
    line_total        INTEGER NOT NULL CHECK (line_total >= 0),
    goods_receipt_id  BLOB,
    receipt_line_no   INTEGER,
    PRIMARY KEY (tenant_id, invoice_id, line_no),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_item_id) REFERENCES supplier_items (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, goods_receipt_id) REFERENCES goods_receipts (tenant_id, id),
    FOREIGN KEY (tenant_id, goods_receipt_id, receipt_line_no)
        REFERENCES goods_receipt_lines (tenant_id, goods_receipt_id, line_no)
) STRICT;
CREATE INDEX invoice_lines_goods_receipt ON invoice_lines (tenant_id, goods_receipt_id);

CREATE TRIGGER invoices_no_update BEFORE UPDATE ON invoices
BEGIN SELECT RAISE(ABORT, 'invoices is append-only'); END;
CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices
BEGIN SELECT RAISE(ABORT, 'invoices is append-only'); END;
CREATE TRIGGER invoice_receipts_no_update BEFORE UPDATE ON invoice_receipts
BEGIN SELECT RAISE(ABORT, 'invoice_receipts is append-only'); END;
CREATE TRIGGER invoice_receipts_no_delete BEFORE DELETE ON invoice_receipts
BEGIN SELECT RAISE(ABORT, 'invoice_receipts is append-only'); END;
CREATE TRIGGER invoice_lines_no_update BEFORE UPDATE ON invoice_lines
BEGIN SELECT RAISE(ABORT, 'invoice_lines is append-only'); END;
CREATE TRIGGER invoice_lines_no_delete BEFORE DELETE ON invoice_lines
BEGIN SELECT RAISE(ABORT, 'invoice_lines is append-only'); END;
