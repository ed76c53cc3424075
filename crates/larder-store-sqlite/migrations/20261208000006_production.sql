-- Production (issue 9, item 5; ADR 022): what production needs to know about a recipe (the
-- prep item it makes, its shelf life, its usual batch), kept beside the recipe rather than in
-- it; a per-tenant batch number counter; production batches and what each consumed. Batches
-- and their inputs are appended, never changed: a mistake is corrected by compensating
-- movements.
CREATE TABLE production_recipes (
    tenant_id         BLOB NOT NULL,
    recipe_id         BLOB NOT NULL,
    item_id           BLOB NOT NULL,
    shelf_life_days   INTEGER CHECK (shelf_life_days >= 0),
    default_batch     INTEGER CHECK (default_batch > 0),
    version           INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, recipe_id),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id)
) STRICT;
-- One recipe makes an item: a sub-recipe line then names one stock item unambiguously.
CREATE UNIQUE INDEX production_recipes_item_id ON production_recipes (tenant_id, item_id);

CREATE TABLE production_batch_counters (
    tenant_id    BLOB NOT NULL,
    last_number  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id)
) STRICT;

CREATE TABLE production_batches (
    tenant_id            BLOB NOT NULL,
    id                   BLOB NOT NULL,
    number               INTEGER NOT NULL,
    location_id          BLOB NOT NULL,
    recipe_id            BLOB NOT NULL,
    item_id              BLOB NOT NULL,
    planned_quantity     INTEGER NOT NULL CHECK (planned_quantity > 0),
    actual_quantity      INTEGER NOT NULL CHECK (actual_quantity > 0),
    cost                 INTEGER NOT NULL,
    expires_on           TEXT CHECK (expires_on IS NULL OR expires_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    produced_at          INTEGER NOT NULL,
    output_movement_id   BLOB NOT NULL,
    lot_id               BLOB,
    note                 TEXT,
    created_by           BLOB NOT NULL,
    created_at           INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, output_movement_id) REFERENCES stock_movements (tenant_id, id),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX production_batches_number ON production_batches (tenant_id, number);
CREATE INDEX production_batches_recipe ON production_batches (tenant_id, recipe_id, id);
CREATE INDEX production_batches_location ON production_batches (tenant_id, location_id, id);

-- One ingredient a batch consumed: quantity and cost (positive), the part no lot covered,
-- and its production_use movement (whose lot consumptions say which lots it took).
CREATE TABLE production_batch_inputs (
    tenant_id      BLOB NOT NULL,
    batch_id       BLOB NOT NULL,
    line_no        INTEGER NOT NULL CHECK (line_no > 0),
    item_id        BLOB NOT NULL,
    quantity       INTEGER NOT NULL CHECK (quantity > 0),
    cost           INTEGER NOT NULL,
    shortfall      INTEGER NOT NULL CHECK (shortfall >= 0),
    movement_id    BLOB NOT NULL,
    PRIMARY KEY (tenant_id, batch_id, line_no),
    FOREIGN KEY (tenant_id, batch_id) REFERENCES production_batches (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, movement_id) REFERENCES stock_movements (tenant_id, id)
) STRICT;

CREATE TRIGGER production_batches_no_update BEFORE UPDATE ON production_batches
BEGIN SELECT RAISE(ABORT, 'production_batches is append-only'); END;
CREATE TRIGGER production_batches_no_delete BEFORE DELETE ON production_batches
BEGIN SELECT RAISE(ABORT, 'production_batches is append-only'); END;
CREATE TRIGGER production_batch_inputs_no_update BEFORE UPDATE ON production_batch_inputs
BEGIN SELECT RAISE(ABORT, 'production_batch_inputs is append-only'); END;
CREATE TRIGGER production_batch_inputs_no_delete BEFORE DELETE ON production_batch_inputs
BEGIN SELECT RAISE(ABORT, 'production_batch_inputs is append-only'); END;
