-- On hand stays within the range of every quantity Larder accepts (12 integer digits:
-- larder-core's decimal::MAX_INTEGER_DIGITS), so a movement that would take it beyond is
-- refused (a 422 naming the quantity) instead of overflowing bigint into a 500.
ALTER TABLE stock_levels ADD CONSTRAINT stock_levels_on_hand_range
    CHECK (on_hand BETWEEN -999999999999999 AND 999999999999999);
