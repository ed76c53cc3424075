-- Units and packs (issue 9, ADR 018): an item's density (grams per millilitre, millionths) with
-- where it comes from, and how its entered amounts round (a step in thousandths of the base
-- unit, and whether an amount off the step is refused); NULL rounding means the base unit's
-- default. Supplier items are found by the GTIN a scanner reads.

ALTER TABLE items ADD COLUMN density bigint CHECK (density > 0);
ALTER TABLE items ADD COLUMN density_source text;
ALTER TABLE items ADD COLUMN entry_step bigint CHECK (entry_step > 0);
ALTER TABLE items ADD COLUMN entry_exact integer CHECK (entry_exact IN (0, 1));

CREATE INDEX supplier_items_gtin ON supplier_items (tenant_id, gtin) WHERE gtin IS NOT NULL;
