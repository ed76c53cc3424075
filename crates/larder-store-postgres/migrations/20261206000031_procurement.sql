-- procurement: the suppliers a tenant buys from, what each sells (packs, prices over time),
-- and the preferred supplier of an item at a location. Purchase orders, receipts and invoices
-- follow in their own migrations.
CREATE TABLE suppliers (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    name              text COLLATE "C" NOT NULL,
    email             text,
    phone             text,
    account_number    text,
    order_days        text NOT NULL,
    lead_time_days    integer NOT NULL,
    min_order_value   bigint,
    currency          text NOT NULL,
    active            integer NOT NULL CHECK (active IN (0, 1)),
    version           bigint NOT NULL,
    created_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX suppliers_name ON suppliers (tenant_id, name);

ALTER TABLE suppliers ENABLE ROW LEVEL SECURITY;
ALTER TABLE suppliers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON suppliers
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON suppliers TO larder_app;

-- What a supplier sells: its SKU, description and GTIN for one of the tenant's items, the pack
-- hierarchy as levels (JSON) and one outermost pack in the item's base unit (thousandths),
-- the minimum order in packs.
CREATE TABLE supplier_items (
    tenant_id       uuid NOT NULL,
    id              uuid NOT NULL,
    supplier_id     uuid NOT NULL,
    item_id         uuid NOT NULL,
    supplier_sku    text COLLATE "C" NOT NULL,
    description     text,
    gtin            text,
    packs           text NOT NULL,
    pack_quantity   bigint NOT NULL CHECK (pack_quantity > 0),
    moq_packs       integer NOT NULL CHECK (moq_packs > 0),
    version         bigint NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_id) REFERENCES suppliers (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id)
);
CREATE UNIQUE INDEX supplier_items_supplier_sku ON supplier_items (tenant_id, supplier_id, supplier_sku);
CREATE INDEX supplier_items_item ON supplier_items (tenant_id, item_id);

-- A supplier item's price per pack from a date on: appended, never changed (the history of
-- what it cost is what valuation and price variance read).
CREATE TABLE supplier_item_prices (
    tenant_id         uuid NOT NULL,
    supplier_item_id  uuid NOT NULL,
    effective_from    timestamptz NOT NULL,
    price_per_pack    bigint NOT NULL CHECK (price_per_pack >= 0),
    recorded_at       timestamptz NOT NULL,
    CONSTRAINT supplier_item_prices_effective_from
        PRIMARY KEY (tenant_id, supplier_item_id, effective_from),
    FOREIGN KEY (tenant_id, supplier_item_id) REFERENCES supplier_items (tenant_id, id)
);

-- The one preferred supplier item of an item at a location.
CREATE TABLE preferred_suppliers (
    tenant_id         uuid NOT NULL,
    item_id           uuid NOT NULL,
    location_id       uuid NOT NULL,
    supplier_item_id  uuid NOT NULL,
    PRIMARY KEY (tenant_id, item_id, location_id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_item_id) REFERENCES supplier_items (tenant_id, id)
);

ALTER TABLE supplier_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE supplier_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON supplier_items
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE supplier_item_prices ENABLE ROW LEVEL SECURITY;
ALTER TABLE supplier_item_prices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON supplier_item_prices
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE preferred_suppliers ENABLE ROW LEVEL SECURITY;
ALTER TABLE preferred_suppliers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON preferred_suppliers
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON supplier_items TO larder_app;
GRANT SELECT, INSERT ON supplier_item_prices TO larder_app;
GRANT SELECT, INSERT, UPDATE ON preferred_suppliers TO larder_app;
