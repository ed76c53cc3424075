-- The sales import's saved column mapping (one per tenant, a JSON document the app validates)
-- and the POS names mapped to menu items by hand (a name the POS sells that is not a menu
-- item's own name, such as `hawaiian_m` for "The Hawaiian Pizza (M)").
CREATE TABLE sales_import_mappings (
    tenant_id   BLOB PRIMARY KEY REFERENCES tenants (id),
    mapping     TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE sales_aliases (
    tenant_id     BLOB NOT NULL,
    name_key      TEXT NOT NULL,
    item_name     TEXT NOT NULL,
    menu_item_id  BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name_key),
    FOREIGN KEY (tenant_id, menu_item_id) REFERENCES menu_items (tenant_id, id)
) STRICT;
