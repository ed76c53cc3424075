-- Production (issue 9, item 5; ADR 022): what production needs to know about a recipe (the
-- prep item it makes, its shelf life, its usual batch), kept beside the recipe rather than in
-- it; a per-tenant batch number counter; production batches and what each consumed. Batches
-- and their inputs are appended, never changed: a mistake is corrected by compensating
-- movements.
CREATE TABLE production_recipes (
    tenant_id         uuid NOT NULL,
    recipe_id         uuid NOT NULL,
    item_id           uuid NOT NULL,
    shelf_life_days   integer CHECK (shelf_life_days >= 0),
    default_batch     bigint CHECK (default_batch > 0),
    version           bigint NOT NULL,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, recipe_id),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id)
);
-- One recipe makes an item: a sub-recipe line then names one stock item unambiguously.
CREATE UNIQUE INDEX production_recipes_item_id ON production_recipes (tenant_id, item_id);

CREATE TABLE production_batch_counters (
    tenant_id    uuid NOT NULL,
    last_number  bigint NOT NULL,
    PRIMARY KEY (tenant_id)
);

CREATE TABLE production_batches (
    tenant_id            uuid NOT NULL,
    id                   uuid NOT NULL,
    number               bigint NOT NULL,
    location_id          uuid NOT NULL,
    recipe_id            uuid NOT NULL,
    item_id              uuid NOT NULL,
    planned_quantity     bigint NOT NULL CHECK (planned_quantity > 0),
    actual_quantity      bigint NOT NULL CHECK (actual_quantity > 0),
    cost                 bigint NOT NULL,
    expires_on           text CHECK (expires_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    produced_at          timestamptz NOT NULL,
    output_movement_id   uuid NOT NULL,
    lot_id               uuid,
    note                 text,
    created_by           uuid NOT NULL,
    created_at           timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, output_movement_id) REFERENCES stock_movements (tenant_id, id),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id)
);
CREATE UNIQUE INDEX production_batches_number ON production_batches (tenant_id, number);
CREATE INDEX production_batches_recipe ON production_batches (tenant_id, recipe_id, id);
CREATE INDEX production_batches_location ON production_batches (tenant_id, location_id, id);

-- One ingredient a batch consumed: quantity and cost (positive), the part no lot covered,
-- and its production_use movement (whose lot consumptions say which lots it took).
CREATE TABLE production_batch_inputs (
    tenant_id      uuid NOT NULL,
    batch_id       uuid NOT NULL,
    line_no        integer NOT NULL CHECK (line_no > 0),
    item_id        uuid NOT NULL,
    quantity       bigint NOT NULL CHECK (quantity > 0),
    cost           bigint NOT NULL,
    shortfall      bigint NOT NULL CHECK (shortfall >= 0),
    movement_id    uuid NOT NULL,
    PRIMARY KEY (tenant_id, batch_id, line_no),
    FOREIGN KEY (tenant_id, batch_id) REFERENCES production_batches (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, movement_id) REFERENCES stock_movements (tenant_id, id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['production_recipes', 'production_batch_counters',
                             'production_batches', 'production_batch_inputs']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['production_batches', 'production_batch_inputs']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I
                         FOR EACH ROW EXECUTE FUNCTION larder_append_only()', t || '_append_only', t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE ON production_recipes TO larder_app;
GRANT SELECT, INSERT, UPDATE ON production_batch_counters TO larder_app;
GRANT SELECT, INSERT ON production_batches TO larder_app;
GRANT SELECT, INSERT ON production_batch_inputs TO larder_app;
