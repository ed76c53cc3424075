-- procurement: the suppliers a tenant buys from. Supplier items, purchase orders, receipts
-- and invoices follow in their own migrations.
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
