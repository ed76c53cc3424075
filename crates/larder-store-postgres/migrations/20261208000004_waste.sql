-- Waste entries (issue 9, ADR 020): stock thrown away at a location, by item or by recipe
-- (a wasted batch of sauce depletes its ingredients), with its reason. Each line is one waste
-- movement of one ingredient, valued at lot cost when it was posted. Appended, never changed:
-- a mistake is reversed by compensating movements that name the entry's (reverses).
CREATE TABLE waste_entries (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    location_id  uuid NOT NULL,
    reason       text NOT NULL CHECK (reason IN ('spoilage', 'expired', 'overproduction',
                     'prep_error', 'returned', 'dropped', 'staff_meal', 'other')),
    note         text,
    item_id      uuid,
    recipe_id    uuid,
    quantity     bigint NOT NULL CHECK (quantity > 0),
    amount       text,
    occurred_at  timestamptz NOT NULL,
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CHECK ((item_id IS NULL) <> (recipe_id IS NULL)),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id)
);
CREATE INDEX waste_entries_location ON waste_entries (tenant_id, location_id, id);

-- One ingredient an entry took out: its quantity (positive, base units), the cost it took
-- from the lots (positive), and its waste movement.
CREATE TABLE waste_entry_lines (
    tenant_id       uuid NOT NULL,
    waste_entry_id  uuid NOT NULL,
    line_no         integer NOT NULL CHECK (line_no > 0),
    item_id         uuid NOT NULL,
    quantity        bigint NOT NULL CHECK (quantity > 0),
    value           bigint NOT NULL,
    movement_id     uuid NOT NULL,
    PRIMARY KEY (tenant_id, waste_entry_id, line_no),
    FOREIGN KEY (tenant_id, waste_entry_id) REFERENCES waste_entries (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, movement_id) REFERENCES stock_movements (tenant_id, id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['waste_entries', 'waste_entry_lines']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I
                         FOR EACH ROW EXECUTE FUNCTION larder_append_only()', t || '_append_only', t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT ON waste_entries TO larder_app;
GRANT SELECT, INSERT ON waste_entry_lines TO larder_app;
