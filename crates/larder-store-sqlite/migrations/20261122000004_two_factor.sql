-- Two-factor authentication (TOTP, RFC 6238) per person, with single-use recovery codes.
-- `totp_pending` holds a secret being set up until a code confirms it; `totp_last_step` is the
-- last time step accepted, so a code is accepted once (RFC 6238 §5.2).
ALTER TABLE users ADD COLUMN totp_secret BLOB;
ALTER TABLE users ADD COLUMN totp_pending BLOB;
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

CREATE TABLE recovery_codes (
    user_id    BLOB NOT NULL REFERENCES users (id),
    code_hash  BLOB NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
) STRICT;

-- A tenant may require two-factor authentication of its owners and admins (since when).
ALTER TABLE tenants ADD COLUMN mfa_required_at INTEGER;

-- The sessions (refresh-token families) whose login verified a second factor.
CREATE TABLE mfa_sessions (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    family_id    BLOB NOT NULL,
    verified_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, family_id)
) STRICT;
