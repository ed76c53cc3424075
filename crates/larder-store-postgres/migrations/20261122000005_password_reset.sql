-- Single-use, expiring tokens for a person's account (password reset), kept as SHA-256.
CREATE TABLE account_tokens (
    token_hash  bytea PRIMARY KEY,
    purpose     text NOT NULL CHECK (purpose IN ('password_reset')),
    user_id     uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
GRANT SELECT, INSERT, UPDATE ON account_tokens TO larder_app;
