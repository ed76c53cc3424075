-- Supplier invoices (issue 8, ADR 016): what a supplier bills, optionally against a purchase
-- order and the goods receipts it covers; each line bills packs of a supplier item at a price,
-- optionally naming the receipt line it bills. The invoice number is unique per supplier.
-- Appended, never changed: a correction will be a credit note.
CREATE TABLE invoices (
    tenant_id          uuid NOT NULL,
    id                 uuid NOT NULL,
    supplier_id        uuid NOT NULL,
    invoice_number     text NOT NULL,
    invoice_date       text COLLATE "C" NOT NULL CHECK (invoice_date ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    purchase_order_id  uuid,
    currency           text NOT NULL,
    total              bigint NOT NULL CHECK (total >= 0),
    stated_total       bigint CHECK (stated_total >= 0),
    note               text,
    created_by         uuid NOT NULL,
    created_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_id) REFERENCES suppliers (tenant_id, id),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id)
);
CREATE UNIQUE INDEX invoices_invoice_number ON invoices (tenant_id, supplier_id, invoice_number);
CREATE INDEX invoices_purchase_order ON invoices (tenant_id, purchase_order_id);

-- The goods receipts an invoice covers (named on it, or billed by one of its lines).
CREATE TABLE invoice_receipts (
    tenant_id         uuid NOT NULL,
    invoice_id        uuid NOT NULL,
    goods_receipt_id  uuid NOT NULL,
    PRIMARY KEY (tenant_id, invoice_id, goods_receipt_id),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
    FOREIGN KEY (tenant_id, goods_receipt_id) REFERENCES goods_receipts (tenant_id, id)
);
CREATE INDEX invoice_receipts_goods_receipt ON invoice_receipts (tenant_id, goods_receipt_id);

-- One line: packs (thousandths) of a supplier item, the same in the item's base unit, the
-- price per pack and packs x price (half even to the millionth), and the receipt line billed.
CREATE TABLE invoice_lines (
    tenant_id         uuid NOT NULL,
    invoice_id        uuid NOT NULL,
    line_no           integer NOT NULL CHECK (line_no > 0),
    supplier_item_id  uuid NOT NULL,
    item_id           uuid NOT NULL,
    packs             bigint NOT NULL CHECK (packs > 0),
    quantity          bigint NOT NULL CHECK (quantity > 0),
    price_per_pack    bigint NOT NULL CHECK (price_per_pack >= 0),
    line_total        bigint NOT NULL CHECK (line_total >= 0),
    goods_receipt_id  uuid,
    receipt_line_no   integer,
    PRIMARY KEY (tenant_id, invoice_id, line_no),
    FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_item_id) REFERENCES supplier_items (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, goods_receipt_id) REFERENCES goods_receipts (tenant_id, id),
    FOREIGN KEY (tenant_id, goods_receipt_id, receipt_line_no)
        REFERENCES goods_receipt_lines (tenant_id, goods_receipt_id, line_no)
);
CREATE INDEX invoice_lines_goods_receipt ON invoice_lines (tenant_id, goods_receipt_id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['invoices', 'invoice_receipts', 'invoice_lines']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I
                         FOR EACH ROW EXECUTE FUNCTION larder_append_only()', t || '_append_only', t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT ON invoices TO larder_app;
GRANT SELECT, INSERT ON invoice_receipts TO larder_app;
GRANT SELECT, INSERT ON invoice_lines TO larder_app;
