-- Actual vs theoretical (issue 9, ADR 024). The report sums one location's movements per item
-- and kind over a period, and the book at the period's ends, in one range scan of this
-- covering index (the valuation index leads with occurred_at across every location).
CREATE INDEX stock_movements_location_occurred
    ON stock_movements (tenant_id, location_id, occurred_at, item_id, kind, quantity, value);
-- The completeness gate's days without sales at one location.
CREATE INDEX sales_location_occurred ON sales (tenant_id, location_id, occurred_at);
