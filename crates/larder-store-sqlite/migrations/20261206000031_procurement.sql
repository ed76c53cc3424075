-- procurement: the suppliers a tenant buys from, what each sells (packs, prices over time),
-- and the preferred supplier of an item at a location. Purchase orders, receipts and invoices
-- follow in their own migrations.
CREATE TABLE suppliers (
    tenant_id         BLOB NOT NULL REFERENCES tenants (id),
    id                BLOB NOT NULL,
    name              TEXT NOT NULL,
    email             TEXT,
    phone             TEXT,
    account_number    TEXT,
    order_days        TEXT NOT NULL,
    lead_time_days    INTEGER NOT NULL,
    min_order_value   INTEGER,
    currency          TEXT NOT NULL,
    active            INTEGER NOT NULL CHECK (active IN (0, 1)),
    version           INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX suppliers_name ON suppliers (tenant_id, name);

-- What a supplier sells: its SKU, description and GTIN for one of the tenant's items, the pack
-- hierarchy as levels (JSON) and one outermost pack in the item's base unit (thousandths),
-- the minimum order in packs.
CREATE TABLE supplier_items (
    tenant_id       BLOB NOT NULL,
    id              BLOB NOT NULL,
    supplier_id     BLOB NOT NULL,
    item_id         BLOB NOT NULL,
    supplier_sku    TEXT NOT NULL,
    description     TEXT,
    gtin            TEXT,
    packs           TEXT NOT NULL,
    pack_quantity   INTEGER NOT NULL CHECK (pack_quantity > 0),
    moq_packs       INTEGER NOT NULL CHECK (moq_packs > 0),
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_id) REFERENCES suppliers (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX supplier_items_supplier_sku ON supplier_items (tenant_id, supplier_id, supplier_sku);
CREATE INDEX supplier_items_item ON supplier_items (tenant_id, item_id);

-- A supplier item's price per pack from a date on: appended, never changed (the history of
-- what it cost is what valuation and price variance read).
CREATE TABLE supplier_item_prices (
    tenant_id         BLOB NOT NULL,
    supplier_item_id  BLOB NOT NULL,
    effective_from    INTEGER NOT NULL,
    price_per_pack    INTEGER NOT NULL CHECK (price_per_pack >= 0),
    recorded_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, supplier_item_id, effective_from),
    FOREIGN KEY (tenant_id, supplier_item_id) REFERENCES supplier_items (tenant_id, id)
) STRICT;

-- The one preferred supplier item of an item at a location.
CREATE TABLE preferred_suppliers (
    tenant_id         BLOB NOT NULL,
    item_id           BLOB NOT NULL,
    location_id       BLOB NOT NULL,
    supplier_item_id  BLOB NOT NULL,
    PRIMARY KEY (tenant_id, item_id, location_id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, supplier_item_id) REFERENCES supplier_items (tenant_id, id)
) STRICT;
