-- Stock counts (issue 9, item 2; ADR 019): the count's thresholds and cancellation, its
-- sheet (the items to count, by storage area in shelf order, fixed when it starts), the lines
-- counters enter (append-only: a recount is a newer line for the same item and area, the
-- older one stays as history), and what approval worked out per item (book stock at the
-- counted instant, the adjustment posted and its movement).

-- Variance thresholds: thousandths of a percent of book stock, and millionths of money.
ALTER TABLE stock_counts ADD COLUMN threshold_percent bigint NOT NULL DEFAULT 5000;
ALTER TABLE stock_counts ADD COLUMN threshold_value bigint NOT NULL DEFAULT 20000000;
ALTER TABLE stock_counts ADD COLUMN note text;
ALTER TABLE stock_counts ADD COLUMN cancelled_at timestamptz;
ALTER TABLE stock_counts ADD COLUMN cancelled_by uuid;

-- The count sheet, in walking order (line_no): storage areas by position, items by shelf
-- order; an item with stock that no area holds has no area and comes last.
CREATE TABLE stock_count_sheet (
    tenant_id        uuid NOT NULL,
    stock_count_id   uuid NOT NULL,
    line_no          integer NOT NULL CHECK (line_no > 0),
    item_id          uuid NOT NULL,
    storage_area_id  uuid,
    PRIMARY KEY (tenant_id, stock_count_id, line_no),
    FOREIGN KEY (tenant_id, stock_count_id) REFERENCES stock_counts (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, storage_area_id) REFERENCES storage_areas (tenant_id, id)
);

-- A counted line: who counted how much of an item in an area, and when (the instant it is
-- compared with the ledger at). The newest line of an (item, area) is the one that counts.
CREATE TABLE stock_count_lines (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    stock_count_id   uuid NOT NULL,
    item_id          uuid NOT NULL,
    storage_area_id  uuid,
    quantity         bigint NOT NULL CHECK (quantity >= 0),
    amount           text,
    on_sheet         integer NOT NULL CHECK (on_sheet IN (0, 1)),
    counted_at       timestamptz NOT NULL,
    counted_by       uuid NOT NULL,
    recorded_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, stock_count_id) REFERENCES stock_counts (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, storage_area_id) REFERENCES storage_areas (tenant_id, id)
);
CREATE INDEX stock_count_lines_count ON stock_count_lines (tenant_id, stock_count_id, recorded_at);

-- What approval decided per item: counted (NULL: not counted), book stock at the instant
-- compared, the count adjustment posted (0: none) and its movement.
CREATE TABLE stock_count_results (
    tenant_id        uuid NOT NULL,
    stock_count_id   uuid NOT NULL,
    item_id          uuid NOT NULL,
    counted          bigint,
    book             bigint NOT NULL,
    at               timestamptz NOT NULL,
    adjustment       bigint NOT NULL,
    movement_id      uuid,
    PRIMARY KEY (tenant_id, stock_count_id, item_id),
    FOREIGN KEY (tenant_id, stock_count_id) REFERENCES stock_counts (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, movement_id) REFERENCES stock_movements (tenant_id, id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stock_count_sheet', 'stock_count_lines', 'stock_count_results']
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
GRANT SELECT, INSERT ON stock_count_sheet TO larder_app;
GRANT SELECT, INSERT ON stock_count_lines TO larder_app;
GRANT SELECT, INSERT ON stock_count_results TO larder_app;
