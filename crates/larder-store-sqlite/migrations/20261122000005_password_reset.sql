-- Single-use, expiring tokens for a person's account (password reset), kept as SHA-256.
CREATE TABLE account_tokens (
    token_hash  BLOB PRIMARY KEY,
    purpose     TEXT NOT NULL CHECK (purpose IN ('password_reset')),
    user_id     BLOB NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) STRICT;
