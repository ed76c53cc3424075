-- Goods receipts (issue 8, ADR 015): a delivery received at a location, against a purchase
-- order or without one (a walk-in purchase). Each accepted line posted one receipt movement
-- that opened a lot; a rejected quantity is recorded with its reason and moves no stock.
-- Appended, never changed: a mistake is corrected by a compensating movement.
CREATE TABLE goods_receipts (
    tenant_id          uuid NOT NULL,
    id                 uuid NOT NULL,
    purchase_order_id  uuid,
    supplier_id        uuid,
    location_id        uuid NOT NULL,
    received_at        timestamptz NOT NULL,
    delivery_note      text,
    note               text,
    created_by         uuid NOT NULL,
    created_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, purchase_order_id) REFERENCES purchase_orders (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_id) REFERENCES suppliers (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);
CREATE INDEX goods_receipts_purchase_order ON goods_receipts (tenant_id, purchase_order_id);
CREATE INDEX goods_receipts_received ON goods_receipts (tenant_id, received_at);

-- One line: what was accepted (base units; in packs too when a supplier item was named), at
-- what price and cost, the ordered price when the line is against a PO line (a differing price
-- is flagged), a substituted supplier item, the rejected quantity with its reason, and the
-- lot and movement it made.
CREATE TABLE goods_receipt_lines (
    tenant_id               uuid NOT NULL,
    goods_receipt_id        uuid NOT NULL,
    line_no                 integer NOT NULL CHECK (line_no > 0),
    po_line_no              integer,
    supplier_item_id        uuid,
    item_id                 uuid NOT NULL,
    packs                   bigint,
    quantity                bigint NOT NULL CHECK (quantity >= 0),
    price_per_pack          bigint CHECK (price_per_pack >= 0),
    unit_cost               bigint NOT NULL CHECK (unit_cost >= 0),
    value                   bigint NOT NULL CHECK (value >= 0),
    ordered_price_per_pack  bigint,
    substituted             integer NOT NULL CHECK (substituted IN (0, 1)),
    rejected_quantity       bigint NOT NULL CHECK (rejected_quantity >= 0),
    rejection_reason        text,
    lot_code                text,
    expires_on              text CHECK (expires_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    movement_id             uuid,
    lot_id                  uuid,
    PRIMARY KEY (tenant_id, goods_receipt_id, line_no),
    FOREIGN KEY (tenant_id, goods_receipt_id) REFERENCES goods_receipts (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_item_id) REFERENCES supplier_items (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, movement_id) REFERENCES stock_movements (tenant_id, id),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['goods_receipts', 'goods_receipt_lines']
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
GRANT SELECT, INSERT ON goods_receipts TO larder_app;
GRANT SELECT, INSERT ON goods_receipt_lines TO larder_app;
