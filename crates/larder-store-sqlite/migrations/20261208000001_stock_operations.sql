-- Stock operations (issue 9): the movement kinds transfers and production batches post, the
-- compensating movement that reverses a mistaken one, storage areas within a location, and
-- the stock count's header. The kind CHECK is widened by the hook that runs with this file
-- (migrate.rs): SQLite cannot alter a CHECK constraint, and a loosened CHECK that every stored
-- row already satisfies is the documented case for editing the schema text in place
-- (https://www.sqlite.org/lang_altertable.html#otheralter).

-- The mistaken movement this one compensates; a movement is reversed at most once.
ALTER TABLE stock_movements ADD COLUMN reverses BLOB;
CREATE UNIQUE INDEX stock_movements_reverses ON stock_movements (tenant_id, reverses)
    WHERE reverses IS NOT NULL;

-- Where stock is kept within a location, in walking order.
CREATE TABLE storage_areas (
    tenant_id    BLOB NOT NULL,
    id           BLOB NOT NULL,
    location_id  BLOB NOT NULL,
    name         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    retired_at   INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX storage_areas_name ON storage_areas (tenant_id, location_id, name);

-- Which items a storage area holds, in shelf order (the order a counter walks).
CREATE TABLE item_storage_areas (
    tenant_id        BLOB NOT NULL,
    storage_area_id  BLOB NOT NULL,
    item_id          BLOB NOT NULL,
    shelf_order      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, storage_area_id, item_id),
    FOREIGN KEY (tenant_id, storage_area_id) REFERENCES storage_areas (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id)
) STRICT;
CREATE INDEX item_storage_areas_item ON item_storage_areas (tenant_id, item_id);

-- A stock count at one location (all its areas, or one): full or cycle, blind or not; open
-- while counters enter lines, approved once (posting its count adjustments) or cancelled.
CREATE TABLE stock_counts (
    tenant_id        BLOB NOT NULL,
    id               BLOB NOT NULL,
    location_id      BLOB NOT NULL,
    storage_area_id  BLOB,
    scope            TEXT NOT NULL CHECK (scope IN ('full', 'cycle')),
    blind            INTEGER NOT NULL CHECK (blind IN (0, 1)),
    status           TEXT NOT NULL CHECK (status IN ('open', 'approved', 'cancelled')),
    started_at       INTEGER NOT NULL,
    started_by       BLOB NOT NULL,
    approved_at      INTEGER,
    approved_by      BLOB,
    version          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, storage_area_id) REFERENCES storage_areas (tenant_id, id)
) STRICT;
CREATE INDEX stock_counts_location ON stock_counts (tenant_id, location_id, started_at);
