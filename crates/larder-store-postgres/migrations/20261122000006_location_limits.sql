-- A manager or staff member can be limited to some locations (the people of one site): while
-- locations_limited_at is set they see and change only the locations member_locations lists
-- for them. NULL means every location, as before.
ALTER TABLE memberships ADD COLUMN locations_limited_at timestamptz;

CREATE TABLE member_locations (
    tenant_id    uuid NOT NULL,
    user_id      uuid NOT NULL,
    location_id  uuid NOT NULL,
    PRIMARY KEY (tenant_id, user_id, location_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);

ALTER TABLE member_locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE member_locations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON member_locations
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON member_locations TO larder_app;
