-- Stock operations (issue 9): the movement kinds transfers and production batches post, the
-- compensating movement that reverses a mistaken one, storage areas within a location, and
-- the stock count's header.

ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_kind_check;
ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_kind_check CHECK (kind IN
    ('opening', 'receipt', 'sale', 'waste', 'adjustment', 'count_adjustment',
     'transfer_out', 'transfer_in', 'production_use', 'production_output'));

-- The mistaken movement this one compensates; a movement is reversed at most once.
ALTER TABLE stock_movements ADD COLUMN reverses uuid;
CREATE UNIQUE INDEX stock_movements_reverses ON stock_movements (tenant_id, reverses)
    WHERE reverses IS NOT NULL;

-- Where stock is kept within a location, in walking order.
CREATE TABLE storage_areas (
    tenant_id    uuid NOT NULL,
    id           uuid NOT NULL,
    location_id  uuid NOT NULL,
    name         text NOT NULL,
    position     integer NOT NULL,
    version      bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    retired_at   timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);
CREATE UNIQUE INDEX storage_areas_name ON storage_areas (tenant_id, location_id, name);

-- Which items a storage area holds, in shelf order (the order a counter walks).
CREATE TABLE item_storage_areas (
    tenant_id        uuid NOT NULL,
    storage_area_id  uuid NOT NULL,
    item_id          uuid NOT NULL,
    shelf_order      integer NOT NULL,
    PRIMARY KEY (tenant_id, storage_area_id, item_id),
    FOREIGN KEY (tenant_id, storage_area_id) REFERENCES storage_areas (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id)
);
CREATE INDEX item_storage_areas_item ON item_storage_areas (tenant_id, item_id);

-- A stock count at one location (all its areas, or one): full or cycle, blind or not; open
-- while counters enter lines, approved once (posting its count adjustments) or cancelled.
CREATE TABLE stock_counts (
    tenant_id        uuid NOT NULL,
    id               uuid NOT NULL,
    location_id      uuid NOT NULL,
    storage_area_id  uuid,
    scope            text NOT NULL CHECK (scope IN ('full', 'cycle')),
    blind            integer NOT NULL CHECK (blind IN (0, 1)),
    status           text NOT NULL CHECK (status IN ('open', 'approved', 'cancelled')),
    started_at       timestamptz NOT NULL,
    started_by       uuid NOT NULL,
    approved_at      timestamptz,
    approved_by      uuid,
    version          bigint NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, storage_area_id) REFERENCES storage_areas (tenant_id, id)
);
CREATE INDEX stock_counts_location ON stock_counts (tenant_id, location_id, started_at);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['storage_areas', 'item_storage_areas', 'stock_counts']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE ON storage_areas TO larder_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON item_storage_areas TO larder_app;
GRANT SELECT, INSERT, UPDATE ON stock_counts TO larder_app;
