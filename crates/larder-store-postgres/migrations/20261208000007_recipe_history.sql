-- Corrections (issue 9, item 6): recipes and menu items keep every version, each in force
-- from its `effective_from` (NULL: from the start, the first version) until the next one's, so
-- a sale is depleted and costed with the versions in force when it happened. `recipes`,
-- `recipe_lines` and `menu_items` keep holding the current version (the last one: an edit
-- never takes effect before the current version's date nor in the future). Versions are
-- append-only. Sale lines mapped to a menu item after they were recorded (a POS name mapped
-- late) are recorded once each: the key is the line. The primary keys are named as SQLite
-- reports them (`<table>_<last column>`), so a duplicate is the same conflict on both.

CREATE TABLE recipe_versions (
    tenant_id       uuid NOT NULL,
    recipe_id       uuid NOT NULL,
    version         bigint NOT NULL,
    effective_from  timestamptz,
    yield_quantity  bigint NOT NULL CHECK (yield_quantity > 0),
    yield_unit      text NOT NULL CHECK (yield_unit IN ('g', 'ml', 'ea')),
    recorded_at     timestamptz NOT NULL,
    CONSTRAINT recipe_versions_version PRIMARY KEY (tenant_id, recipe_id, version),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id)
);

CREATE TABLE recipe_version_lines (
    tenant_id      uuid NOT NULL,
    recipe_id      uuid NOT NULL,
    version        bigint NOT NULL,
    position       integer NOT NULL,
    item_id        uuid,
    sub_recipe_id  uuid,
    quantity       bigint NOT NULL,
    unit           text NOT NULL,
    PRIMARY KEY (tenant_id, recipe_id, version, position),
    FOREIGN KEY (tenant_id, recipe_id, version) REFERENCES recipe_versions (tenant_id, recipe_id, version),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, sub_recipe_id) REFERENCES recipes (tenant_id, id),
    CHECK ((item_id IS NULL) <> (sub_recipe_id IS NULL))
);

CREATE TABLE menu_item_versions (
    tenant_id       uuid NOT NULL,
    menu_item_id    uuid NOT NULL,
    version         bigint NOT NULL,
    effective_from  timestamptz,
    recipe_id       uuid,
    portion         bigint NOT NULL,
    price           bigint,
    recorded_at     timestamptz NOT NULL,
    CONSTRAINT menu_item_versions_version PRIMARY KEY (tenant_id, menu_item_id, version),
    FOREIGN KEY (tenant_id, menu_item_id) REFERENCES menu_items (tenant_id, id),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id)
);

CREATE TABLE sale_line_mappings (
    tenant_id     uuid NOT NULL,
    sale_id       uuid NOT NULL,
    line_no       integer NOT NULL,
    menu_item_id  uuid NOT NULL,
    name_key      text NOT NULL,
    mapped_at     timestamptz NOT NULL,
    CONSTRAINT sale_line_mappings_line_no PRIMARY KEY (tenant_id, sale_id, line_no),
    FOREIGN KEY (tenant_id, sale_id, line_no) REFERENCES sale_lines (tenant_id, sale_id, line_no),
    FOREIGN KEY (tenant_id, menu_item_id) REFERENCES menu_items (tenant_id, id)
);

-- A sale's movements, read when a correction re-depletes it.
CREATE INDEX stock_movements_sale ON stock_movements (tenant_id, sale_id) WHERE sale_id IS NOT NULL;
-- Sale lines by menu item and by name sold, read when a correction finds the sales it touches.
CREATE INDEX sale_lines_menu_item ON sale_lines (tenant_id, menu_item_id, occurred_at);
CREATE INDEX sale_lines_item_name ON sale_lines (tenant_id, item_name) WHERE menu_item_id IS NULL;

CREATE TRIGGER recipe_versions_append_only BEFORE UPDATE OR DELETE ON recipe_versions
    FOR EACH ROW EXECUTE FUNCTION larder_append_only();
CREATE TRIGGER recipe_version_lines_append_only BEFORE UPDATE OR DELETE ON recipe_version_lines
    FOR EACH ROW EXECUTE FUNCTION larder_append_only();
CREATE TRIGGER menu_item_versions_append_only BEFORE UPDATE OR DELETE ON menu_item_versions
    FOR EACH ROW EXECUTE FUNCTION larder_append_only();

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['recipe_versions', 'recipe_version_lines', 'menu_item_versions',
                             'sale_line_mappings']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT ON recipe_versions, recipe_version_lines, menu_item_versions,
    sale_line_mappings TO larder_app;

-- What exists becomes each recipe's and menu item's first version, in force from the start.
-- The owner runs this with row-level security relaxed for the one backfill.
ALTER TABLE recipes NO FORCE ROW LEVEL SECURITY;
ALTER TABLE recipe_lines NO FORCE ROW LEVEL SECURITY;
ALTER TABLE menu_items NO FORCE ROW LEVEL SECURITY;
ALTER TABLE recipe_versions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE recipe_version_lines NO FORCE ROW LEVEL SECURITY;
ALTER TABLE menu_item_versions NO FORCE ROW LEVEL SECURITY;
INSERT INTO recipe_versions (tenant_id, recipe_id, version, effective_from, yield_quantity,
                             yield_unit, recorded_at)
SELECT tenant_id, id, version, NULL, yield_quantity, yield_unit, created_at FROM recipes;
INSERT INTO recipe_version_lines (tenant_id, recipe_id, version, position, item_id,
                                  sub_recipe_id, quantity, unit)
SELECT l.tenant_id, l.recipe_id, r.version, l.position, l.item_id, l.sub_recipe_id, l.quantity,
       l.unit
  FROM recipe_lines l JOIN recipes r ON r.tenant_id = l.tenant_id AND r.id = l.recipe_id;
INSERT INTO menu_item_versions (tenant_id, menu_item_id, version, effective_from, recipe_id,
                                portion, price, recorded_at)
SELECT tenant_id, id, version, NULL, recipe_id, portion, price, created_at FROM menu_items;
ALTER TABLE recipes FORCE ROW LEVEL SECURITY;
ALTER TABLE recipe_lines FORCE ROW LEVEL SECURITY;
ALTER TABLE menu_items FORCE ROW LEVEL SECURITY;
ALTER TABLE recipe_versions FORCE ROW LEVEL SECURITY;
ALTER TABLE recipe_version_lines FORCE ROW LEVEL SECURITY;
ALTER TABLE menu_item_versions FORCE ROW LEVEL SECURITY;
