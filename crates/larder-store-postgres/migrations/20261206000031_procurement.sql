-- procurement: the suppliers a tenant buys from. Supplier items, purchase orders, receipts
-- and invoices follow in their own migrations.
CREATE TABLE suppliers (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    name              text NOT NULL,
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
