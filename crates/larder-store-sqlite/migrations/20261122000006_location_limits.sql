-- A manager or staff member can be limited to some locations (the people of one site): while
-- locations_limited_at is set they see and change only the locations member_locations lists
-- for them. NULL means every location, as before.
ALTER TABLE memberships ADD COLUMN locations_limited_at INTEGER;

CREATE TABLE member_locations (
    tenant_id    BLOB NOT NULL,
    user_id      BLOB NOT NULL,
    location_id  BLOB NOT NULL,
    PRIMARY KEY (tenant_id, user_id, location_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES memberships (tenant_id, user_id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) STRICT;
