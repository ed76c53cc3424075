-- A posting reads the open lots of an item at a location (`lots_open`). PostgreSQL could plan
-- that read through `lots_expiry` (tenant, location, expiry) instead, filtering by item: every
-- open lot of the location read for each sale or adjustment, which it chose whenever its
-- statistics were taken while the location had few open lots (docs/benchmarks.md, issue 10's
-- last A/B: 368 against 862 adjustments a second). `lots_expiry` now holds only the lots that
-- have a date, a condition that read does not imply, so it cannot serve it; the expiry alert
-- reads lots with a date anyway.
DROP INDEX lots_expiry;
CREATE INDEX lots_expiry ON lots (tenant_id, location_id, expires_on)
    WHERE remaining > 0 AND expires_on IS NOT NULL;
