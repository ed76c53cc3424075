-- Lots, FEFO and valuation (issue 8, ADR 014). Stock of an item at a location is held as lots
-- (what one increase brought in: quantity and value left); every decrease records the lots it
-- consumed and the cost it took; every movement records its effect on stock value, so the
-- ledger alone values stock as of any date.

-- How the tenant values stock: 'fifo' or 'moving_average'; fixed once stock has moved.
ALTER TABLE tenants ADD COLUMN valuation_method text NOT NULL DEFAULT 'fifo'
    CHECK (valuation_method IN ('fifo', 'moving_average'));

-- A movement's effect on stock value (millionths, signed), the part of it that re-costs a
-- shortfall it settled, the quantity of a decrease no lot covered (costed provisionally,
-- flagged), and the shortfall quantity an increase settled.
ALTER TABLE stock_movements ADD COLUMN value bigint NOT NULL DEFAULT 0;
ALTER TABLE stock_movements ADD COLUMN cost_variance bigint NOT NULL DEFAULT 0;
ALTER TABLE stock_movements ADD COLUMN shortfall bigint NOT NULL DEFAULT 0 CHECK (shortfall >= 0);
ALTER TABLE stock_movements ADD COLUMN settled bigint NOT NULL DEFAULT 0 CHECK (settled >= 0);
-- Valuation as of a date sums the ledger up to it from this index alone.
CREATE INDEX stock_movements_valuation
    ON stock_movements (tenant_id, occurred_at, item_id, location_id, quantity, value);

-- The level's stock value (the sum of its movements' values) and the cost per base unit of
-- its last increase (what a shortfall is provisionally costed at).
ALTER TABLE stock_levels ADD COLUMN value bigint NOT NULL DEFAULT 0;
ALTER TABLE stock_levels ADD COLUMN last_cost bigint;

CREATE TABLE lots (
    tenant_id          uuid NOT NULL,
    id                 uuid NOT NULL,
    item_id            uuid NOT NULL,
    location_id        uuid NOT NULL,
    code               text,
    expires_on         text CHECK (expires_on ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
    received_at        timestamptz NOT NULL,
    received_quantity  bigint NOT NULL CHECK (received_quantity > 0),
    unit_cost          bigint NOT NULL,
    remaining          bigint NOT NULL CHECK (remaining >= 0),
    remaining_value    bigint NOT NULL,
    movement_id        uuid,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, movement_id) REFERENCES stock_movements (tenant_id, id)
);
CREATE INDEX lots_open ON lots (tenant_id, item_id, location_id) WHERE remaining > 0;
CREATE INDEX lots_expiry ON lots (tenant_id, location_id, expires_on) WHERE remaining > 0;

-- What a decrease took from each lot: appended, never changed.
CREATE TABLE lot_consumptions (
    tenant_id    uuid NOT NULL,
    movement_id  uuid NOT NULL,
    lot_id       uuid NOT NULL,
    quantity     bigint NOT NULL CHECK (quantity > 0),
    cost         bigint NOT NULL,
    PRIMARY KEY (tenant_id, movement_id, lot_id),
    FOREIGN KEY (tenant_id, movement_id) REFERENCES stock_movements (tenant_id, id),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id)
);
CREATE INDEX lot_consumptions_lot ON lot_consumptions (tenant_id, lot_id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['lots', 'lot_consumptions']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE ON lots TO larder_app;
GRANT SELECT, INSERT ON lot_consumptions TO larder_app;

-- Existing stock: each movement valued at the cost per base unit it recorded (truncated to
-- the millionth; a value beyond bigint is left at 0), each level at the sum of its movements,
-- and what is on hand becomes one undated lot carrying that value. The owner runs this with
-- row-level security relaxed and the append-only trigger off for the one backfill.
ALTER TABLE stock_movements NO FORCE ROW LEVEL SECURITY;
ALTER TABLE stock_levels NO FORCE ROW LEVEL SECURITY;
ALTER TABLE items NO FORCE ROW LEVEL SECURITY;
ALTER TABLE lots NO FORCE ROW LEVEL SECURITY;
ALTER TABLE stock_movements DISABLE TRIGGER stock_movements_append_only;
UPDATE stock_movements
   SET value = CASE WHEN abs(trunc(CAST(quantity AS numeric) * unit_cost / 1000)) < 999999999999999999
                    THEN CAST(trunc(CAST(quantity AS numeric) * unit_cost / 1000) AS bigint) ELSE 0 END
 WHERE unit_cost IS NOT NULL;
ALTER TABLE stock_movements ENABLE TRIGGER stock_movements_append_only;
UPDATE stock_levels s
   SET value = COALESCE((SELECT CAST(SUM(m.value) AS bigint) FROM stock_movements m
                          WHERE m.tenant_id = s.tenant_id AND m.item_id = s.item_id
                            AND m.location_id = s.location_id), 0),
       last_cost = (SELECT i.unit_cost FROM items i WHERE i.tenant_id = s.tenant_id AND i.id = s.item_id);
INSERT INTO lots (tenant_id, id, item_id, location_id, code, expires_on, received_at,
                  received_quantity, unit_cost, remaining, remaining_value, movement_id)
SELECT tenant_id, gen_random_uuid(), item_id, location_id, NULL, NULL, updated_at,
       on_hand, COALESCE(last_cost, 0), on_hand, value, NULL
  FROM stock_levels WHERE on_hand > 0;
ALTER TABLE stock_movements FORCE ROW LEVEL SECURITY;
ALTER TABLE stock_levels FORCE ROW LEVEL SECURITY;
ALTER TABLE items FORCE ROW LEVEL SECURITY;
ALTER TABLE lots FORCE ROW LEVEL SECURITY;
CREATE TRIGGER lot_consumptions_append_only BEFORE UPDATE OR DELETE ON lot_consumptions
    FOR EACH ROW EXECUTE FUNCTION larder_append_only();
