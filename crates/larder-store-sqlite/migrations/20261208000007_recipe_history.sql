-- Corrections (issue 9, item 6): recipes and menu items keep every version, each in force
-- from its `effective_from` (NULL: from the start, the first version) until the next one's, so
-- a sale is depleted and costed with the versions in force when it happened. `recipes`,
-- `recipe_lines` and `menu_items` keep holding the current version (the last one: an edit
-- never takes effect before the current version's date nor in the future). Versions are
-- append-only. Sale lines mapped to a menu item after they were recorded (a POS name mapped
-- late) are recorded once each: the key is the line.

CREATE TABLE recipe_versions (
    tenant_id       BLOB NOT NULL,
    recipe_id       BLOB NOT NULL,
    version         INTEGER NOT NULL,
    effective_from  INTEGER,
    yield_quantity  INTEGER NOT NULL CHECK (yield_quantity > 0),
    yield_unit      TEXT NOT NULL CHECK (yield_unit IN ('g', 'ml', 'ea')),
    recorded_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, recipe_id, version),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id)
) STRICT;

CREATE TABLE recipe_version_lines (
    tenant_id      BLOB NOT NULL,
    recipe_id      BLOB NOT NULL,
    version        INTEGER NOT NULL,
    position       INTEGER NOT NULL,
    item_id        BLOB,
    sub_recipe_id  BLOB,
    quantity       INTEGER NOT NULL,
    unit           TEXT NOT NULL,
    PRIMARY KEY (tenant_id, recipe_id, version, position),
    FOREIGN KEY (tenant_id, recipe_id, version) REFERENCES recipe_versions (tenant_id, recipe_id, version),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, sub_recipe_id) REFERENCES recipes (tenant_id, id),
    CHECK ((item_id IS NULL) <> (sub_recipe_id IS NULL))
) STRICT, WITHOUT ROWID;

CREATE TABLE menu_item_versions (
    tenant_id       BLOB NOT NULL,
    menu_item_id    BLOB NOT NULL,
    version         INTEGER NOT NULL,
    effective_from  INTEGER,
    recipe_id       BLOB,
    portion         INTEGER NOT NULL,
    price           INTEGER,
    recorded_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, menu_item_id, version),
    FOREIGN KEY (tenant_id, menu_item_id) REFERENCES menu_items (tenant_id, id),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id)
) STRICT;

CREATE TABLE sale_line_mappings (
    tenant_id     BLOB NOT NULL,
    sale_id       BLOB NOT NULL,
    line_no       INTEGER NOT NULL,
    menu_item_id  BLOB NOT NULL,
    name_key      TEXT NOT NULL,
    mapped_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, sale_id, line_no),
    FOREIGN KEY (tenant_id, sale_id, line_no) REFERENCES sale_lines (tenant_id, sale_id, line_no),
    FOREIGN KEY (tenant_id, menu_item_id) REFERENCES menu_items (tenant_id, id)
) STRICT, WITHOUT ROWID;

-- A sale's movements, read when a correction re-depletes it.
CREATE INDEX stock_movements_sale ON stock_movements (tenant_id, sale_id) WHERE sale_id IS NOT NULL;
-- Sale lines by menu item and by name sold, read when a correction finds the sales it touches.
CREATE INDEX sale_lines_menu_item ON sale_lines (tenant_id, menu_item_id, occurred_at);
CREATE INDEX sale_lines_item_name ON sale_lines (tenant_id, item_name) WHERE menu_item_id IS NULL;

CREATE TRIGGER recipe_versions_no_update BEFORE UPDATE ON recipe_versions
BEGIN SELECT RAISE(ABORT, 'recipe_versions is append-only'); END;
CREATE TRIGGER recipe_versions_no_delete BEFORE DELETE ON recipe_versions
BEGIN SELECT RAISE(ABORT, 'recipe_versions is append-only'); END;
CREATE TRIGGER recipe_version_lines_no_update BEFORE UPDATE ON recipe_version_lines
BEGIN SELECT RAISE(ABORT, 'recipe_version_lines is append-only'); END;
CREATE TRIGGER recipe_version_lines_no_delete BEFORE DELETE ON recipe_version_lines
BEGIN SELECT RAISE(ABORT, 'recipe_version_lines is append-only'); END;
CREATE TRIGGER menu_item_versions_no_update BEFORE UPDATE ON menu_item_versions
BEGIN SELECT RAISE(ABORT, 'menu_item_versions is append-only'); END;
CREATE TRIGGER menu_item_versions_no_delete BEFORE DELETE ON menu_item_versions
BEGIN SELECT RAISE(ABORT, 'menu_item_versions is append-only'); END;

-- What exists becomes each recipe's and menu item's first version, in force from the start.
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
