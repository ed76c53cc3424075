-- On hand stays within the range of every quantity Larder accepts (12 integer digits:
-- larder-core's decimal::MAX_INTEGER_DIGITS), so a movement that would take it beyond is
-- refused (a 422 naming the quantity) instead of overflowing into a REAL. SQLite cannot add a
-- CHECK to an existing table, so two triggers raise the constraint's name, as PostgreSQL's
-- CHECK of the same name does; an upsert runs the INSERT trigger, then the UPDATE one.
CREATE TRIGGER stock_levels_on_hand_range_insert BEFORE INSERT ON stock_levels
WHEN NEW.on_hand NOT BETWEEN -999999999999999 AND 999999999999999
BEGIN
    SELECT RAISE(ABORT, 'stock_levels_on_hand_range');
END;

CREATE TRIGGER stock_levels_on_hand_range_update BEFORE UPDATE OF on_hand ON stock_levels
WHEN NEW.on_hand NOT BETWEEN -999999999999999 AND 999999999999999
BEGIN
    SELECT RAISE(ABORT, 'stock_levels_on_hand_range');
END;
