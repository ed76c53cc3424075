-- A member can be deactivated: kept for the record (the ledger names them), refused at login
-- and, with their sessions revoked, on their very next request.
ALTER TABLE memberships ADD COLUMN deactivated_at timestamptz;
