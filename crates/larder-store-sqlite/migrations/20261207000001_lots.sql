-- Lots, FEFO and valuation (issue 8, ADR 014). Stock of an item at a location is held as lots
-- (what one increase brought in: quantity and value left); every decrease records the lots it
-- consumed and the cost it took; every movement records its effect on stock value, so the
-- ledger alone values stock as of any date.

-- How the tenant values stock: 'fifo' or 'moving_average'; fixed once stock has moved.
ALTER TABLE tenants ADD COLUMN valuation_method TEXT NOT NULL DEFAULT 'fifo'
    CHECK (valuation_method IN ('fifo', 'moving_average'));

-- A movement's effect on stock value (millionths, signed), the part of it that re-costs a
-- shortfall it settled, the quantity of a decrease no lot covered (costed provisionally,
-- flagged), and the shortfall quantity an increase settled.
ALTER TABLE stock_movements ADD COLUMN value INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stock_movements ADD COLUMN cost_variance INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stock_movements ADD COLUMN shortfall INTEGER NOT NULL DEFAULT 0 CHECK (shortfall >= 0);
ALTER TABLE stock_movements ADD COLUMN settled INTEGER NOT NULL DEFAULT 0 CHECK (settled >= 0);
-- Valuation as of a date sums the ledger up to it from this index alone.
CREATE INDEX stock_movements_valuation
    ON stock_movements (tenant_id, occurred_at, item_id, location_id, quantity, value);

-- The level's stock value (the sum of its movements' values) and the cost per base unit of
-- its last increase (what a shortfall is provisionally costed at).
ALTER TABLE stock_levels ADD COLUMN value INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stock_levels ADD COLUMN last_cost INTEGER;

CREATE TABLE lots (
    tenant_id          BLOB NOT NULL,
    id                 BLOB NOT NULL,
    item_id            BLOB NOT NULL,
    location_id        BLOB NOT NULL,
    code               TEXT,
    expires_on         TEXT CHECK (expires_on IS NULL OR expires_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    received_at        INTEGER NOT NULL,
    received_quantity  INTEGER NOT NULL CHECK (received_quantity > 0),
    unit_cost          INTEGER NOT NULL,
    remaining          INTEGER NOT NULL CHECK (remaining >= 0),
    remaining_value    INTEGER NOT NULL,
    movement_id        BLOB,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    FOREIGN KEY (tenant_id, movement_id) REFERENCES stock_movements (tenant_id, id)
) STRICT;
CREATE INDEX lots_open ON lots (tenant_id, item_id, location_id) WHERE remaining > 0;
CREATE INDEX lots_expiry ON lots (tenant_id, location_id, expires_on) WHERE remaining > 0;

-- What a decrease took from each lot: appended, never changed.
CREATE TABLE lot_consumptions (
    tenant_id    BLOB NOT NULL,
    movement_id  BLOB NOT NULL,
    lot_id       BLOB NOT NULL,
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    cost         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, movement_id, lot_id),
    FOREIGN KEY (tenant_id, movement_id) REFERENCES stock_movements (tenant_id, id),
    FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id)
) STRICT;
CREATE INDEX lot_consumptions_lot ON lot_consumptions (tenant_id, lot_id);
CREATE TRIGGER lot_consumptions_no_update BEFORE UPDATE ON lot_consumptions
BEGIN SELECT RAISE(ABORT, 'lot_consumptions is append-only'); END;
CREATE TRIGGER lot_consumptions_no_delete BEFORE DELETE ON lot_consumptions
BEGIN SELECT RAISE(ABORT, 'lot_consumptions is append-only'); END;

-- Existing stock: each movement valued at the cost per base unit it recorded (truncated to
-- the millionth), each level at the sum of its movements, and what is on hand becomes one
-- undated lot carrying that value. The append-only trigger is off for this one backfill.
DROP TRIGGER stock_movements_no_update;
UPDATE stock_movements SET value = CAST((quantity * unit_cost) / 1000 AS INTEGER)
 WHERE unit_cost IS NOT NULL;
CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'stock_movements is append-only'); END;
UPDATE stock_levels
   SET value = COALESCE((SELECT SUM(m.value) FROM stock_movements m
                          WHERE m.tenant_id = stock_levels.tenant_id
                            AND m.item_id = stock_levels.item_id
                            AND m.location_id = stock_levels.location_id), 0),
       last_cost = (SELECT i.unit_cost FROM items i
                     WHERE i.tenant_id = stock_levels.tenant_id AND i.id = stock_levels.item_id);
INSERT INTO lots (tenant_id, id, item_id, location_id, code, expires_on, received_at,
                  received_quantity, unit_cost, remaining, remaining_value, movement_id)
SELECT tenant_id, randomblob(16), item_id, location_id, NULL, NULL, updated_at,
       on_hand, COALESCE(last_cost, 0), on_hand, value, NULL
  FROM stock_levels WHERE on_hand > 0;
