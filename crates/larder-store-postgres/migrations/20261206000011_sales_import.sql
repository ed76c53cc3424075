-- The sales import's saved column mapping (one per tenant, a JSON document the app validates)
-- and the POS names mapped to menu items by hand (a name the POS sells that is not a menu
-- item's own name, such as `hawaiian_m` for "The Hawaiian Pizza (M)").
CREATE TABLE sales_import_mappings (
    tenant_id   uuid PRIMARY KEY REFERENCES tenants (id),
    mapping     text NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE sales_aliases (
    tenant_id     uuid NOT NULL,
    name_key      text NOT NULL,
    item_name     text NOT NULL,
    menu_item_id  uuid NOT NULL,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, name_key),
    FOREIGN KEY (tenant_id, menu_item_id) REFERENCES menu_items (tenant_id, id)
);

ALTER TABLE sales_import_mappings ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales_import_mappings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sales_import_mappings
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
ALTER TABLE sales_aliases ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales_aliases FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sales_aliases
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON sales_import_mappings TO larder_app;
GRANT SELECT, INSERT, UPDATE ON sales_aliases TO larder_app;
