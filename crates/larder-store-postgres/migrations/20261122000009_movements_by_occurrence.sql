-- An item's movements latest-occurred first (the item page, `?order=occurred`).
CREATE INDEX stock_movements_item_occurred ON stock_movements (tenant_id, item_id, occurred_at);
