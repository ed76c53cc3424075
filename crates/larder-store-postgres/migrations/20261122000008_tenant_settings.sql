-- Tenant settings beside currency, time zone and day cutoff: the day business weeks start,
-- the unit system quantities are shown in, the purchase-order total above which approval is
-- needed (millionths of the currency; NULL: never), and a version for If-Match.
ALTER TABLE tenants ADD COLUMN week_start text NOT NULL DEFAULT 'monday'
    CHECK (week_start IN ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'));
ALTER TABLE tenants ADD COLUMN units text NOT NULL DEFAULT 'metric'
    CHECK (units IN ('metric', 'us_customary'));
ALTER TABLE tenants ADD COLUMN approval_threshold bigint;
ALTER TABLE tenants ADD COLUMN settings_version bigint NOT NULL DEFAULT 1;
