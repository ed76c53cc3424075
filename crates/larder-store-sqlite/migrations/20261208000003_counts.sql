-- Stock counts (issue 9, item 2; ADR 019): the count's thresholds and cancellation, its
-- sheet (the items to count, by storage area in shelf order, fixed when it starts), the lines
-- counters enter (append-only: a recount is a newer line for the same item and area, the
-- older one stays as history), and what approval worked out per item (book stock at the
-- counted instant, the adjustment posted and its movement).

-- Variance thresholds: thousandths of a percent of book stock, and millionths of money.
ALTER TABLE stock_counts ADD COLUMN threshold_percent INTEGER NOT NULL DEFAULT 5000;
ALTER TABLE stock_counts ADD COLUMN threshold_value INTEGER NOT NULL DEFAULT 20000000;
ALTER TABLE stock_counts ADD COLUMN note TEXT;
ALTER TABLE stock_counts ADD COLUMN cancelled_at INTEGER;
ALTER TABLE stock_counts ADD COLUMN cancelled_by BLOB;

-- The count sheet, in walking order (line_no): storage areas by position, items by shelf
-- order; an item with stock that no area holds has no area and comes last.
CREATE TABLE stock_count_sheet (
    tenant_id        BLOB NOT NULL,
    stock_count_id   BLOB NOT NULL,
    line_no          INTEGER NOT NULL CHECK (line_no > 0),
    item_id          BLOB NOT NULL,
    storage_area_id  BLOB,
    PRIMARY KEY (tenant_id, stock_count_id, line_no),
    FOREIGN KEY (tenant_id, stock_count_id) REFERENCES stock_counts (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, storage_area_id) REFERENCES storage_areas (tenant_id, id)
) STRICT;

-- A counted line: who counted how much of an item in an area, and when (the instant it is
-- compared with the ledger at). The newest line of an (item, area) is the one that counts.
CREATE TABLE stock_count_lines (
    tenant_id        BLOB NOT NULL,
    id               BLOB NOT NULL,
    stock_count_id   BLOB NOT NULL,
    item_id          BLOB NOT NULL,
    storage_area_id  BLOB,
    quantity         INTEGER NOT NULL CHECK (quantity >= 0),
    amount           TEXT,
    on_sheet         INTEGER NOT NULL CHECK (on_sheet IN (0, 1)),
    counted_at       INTEGER NOT NULL,
    counted_by       BLOB NOT NULL,
    recorded_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, stock_count_id) REFERENCES stock_counts (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, storage_area_id) REFERENCES storage_areas (tenant_id, id)
) STRICT;
CREATE INDEX stock_count_lines_count ON stock_count_lines (tenant_id, stock_count_id, recorded_at);

-- What approval decided per item: counted (NULL: not counted), book stock at the instant
-- compared, the count adjustment posted (0: none) and its movement.
CREATE TABLE stock_count_results (
    tenant_id        BLOB NOT NULL,
    stock_count_id   BLOB NOT NULL,
    item_id          BLOB NOT NULL,
    counted          INTEGER,
    book             INTEGER NOT NULL,
    at               INTEGER NOT NULL,
    adjustment       INTEGER NOT NULL,
    movement_id      BLOB,
    PRIMARY KEY (tenant_id, stock_count_id, item_id),
    FOREIGN KEY (tenant_id, stock_count_id) REFERENCES stock_counts (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, movement_id) REFERENCES stock_movements (tenant_id, id)
) STRICT;

CREATE TRIGGER stock_count_sheet_no_update BEFORE UPDATE ON stock_count_sheet
BEGIN SELECT RAISE(ABORT, 'stock_count_sheet is append-only'); END;
CREATE TRIGGER stock_count_sheet_no_delete BEFORE DELETE ON stock_count_sheet
BEGIN SELECT RAISE(ABORT, 'stock_count_sheet is append-only'); END;
CREATE TRIGGER stock_count_lines_no_update BEFORE UPDATE ON stock_count_lines
BEGIN SELECT RAISE(ABORT, 'stock_count_lines is append-only'); END;
CREATE TRIGGER stock_count_lines_no_delete BEFORE DELETE ON stock_count_lines
BEGIN SELECT RAISE(ABORT, 'stock_count_lines is append-only'); END;
CREATE TRIGGER stock_count_results_no_update BEFORE UPDATE ON stock_count_results
BEGIN SELECT RAISE(ABORT, 'stock_count_results is append-only'); END;
CREATE TRIGGER stock_count_results_no_delete BEFORE DELETE ON stock_count_results
BEGIN SELECT RAISE(ABORT, 'stock_count_results is append-only'); END;
