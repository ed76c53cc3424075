-- Two-factor authentication (TOTP, RFC 6238) per person, with single-use recovery codes.
-- `totp_pending` holds a secret being set up until a code confirms it; `totp_last_step` is the
-- last time step accepted, so a code is accepted once (RFC 6238 §5.2).
ALTER TABLE users ADD COLUMN totp_secret bytea;
ALTER TABLE users ADD COLUMN totp_pending bytea;
ALTER TABLE users ADD COLUMN totp_last_step bigint;

CREATE TABLE recovery_codes (
    user_id    uuid NOT NULL REFERENCES users (id),
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes TO larder_app;

-- A tenant may require two-factor authentication of its owners and admins (since when).
ALTER TABLE tenants ADD COLUMN mfa_required_at timestamptz;

-- The sessions (refresh-token families) whose login verified a second factor.
CREATE TABLE mfa_sessions (
    tenant_id    uuid NOT NULL REFERENCES tenants (id),
    family_id    uuid NOT NULL,
    verified_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, family_id)
);
ALTER TABLE mfa_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE mfa_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mfa_sessions
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT, INSERT ON mfa_sessions TO larder_app;
