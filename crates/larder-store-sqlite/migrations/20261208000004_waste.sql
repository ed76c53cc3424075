-- Waste entries (issue 9, ADR 020): stock thrown away at a location, by item or by recipe
-- (a wasted batch of sauce depletes its ingredients), with its reason. Each line is one waste
-- movement of one ingredient, valued at lot cost when it was posted. Appended, never changed:
-- a mistake is reversed by compensating movements that name the entry's (reverses).
CREATE TABLE waste_entries (
    tenant_id    BLOB NOT NULL,
    id           BLOB NOT NULL,
    location_id  BLOB NOT NULL,
    reason       TEXT NOT NULL CHECK (reason IN ('spoilage', 'expired', 'overproduction',
                     'prep_error', 'returned', 'dropped', 'staff_meal', 'other')),
    note         TEXT,
    item_id      BLOB,
    recipe_id    BLOB,
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    amount       TEXT,
    occurred_at  INTEGER NOT NULL,
    created_by   BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    CHECK ((item_id IS NULL) <> (recipe_id IS NULL)),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, recipe_id) REFERENCES recipes (tenant_id, id)
) STRICT;
CREATE INDEX waste_entries_location ON waste_entries (tenant_id, location_id, id);

-- One ingredient an entry took out: its quantity (positive, base units), the cost it took
-- from the lots (positive), and its waste movement.
CREATE TABLE waste_entry_lines (
    tenant_id       BLOB NOT NULL,
    waste_entry_id  BLOB NOT NULL,
    line_no         INTEGER NOT NULL CHECK (line_no > 0),
    item_id         BLOB NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    value           INTEGER NOT NULL,
    movement_id     BLOB NOT NULL,
    PRIMARY KEY (tenant_id, waste_entry_id, line_no),
    FOREIGN KEY (tenant_id, waste_entry_id) REFERENCES waste_entries (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, movement_id) REFERENCES stock_movements (tenant_id, id)
) STRICT;

CREATE TRIGGER waste_entries_no_update BEFORE UPDATE ON waste_entries
BEGIN SELECT RAISE(ABORT, 'waste_entries is append-only'); END;
CREATE TRIGGER waste_entries_no_delete BEFORE DELETE ON waste_entries
BEGIN SELECT RAISE(ABORT, 'waste_entries is append-only'); END;
CREATE TRIGGER waste_entry_lines_no_update BEFORE UPDATE ON waste_entry_lines
BEGIN SELECT RAISE(ABORT, 'waste_entry_lines is append-only'); END;
CREATE TRIGGER waste_entry_lines_no_delete BEFORE DELETE ON waste_entry_lines
BEGIN SELECT RAISE(ABORT, 'waste_entry_lines is append-only'); END;
