-- API keys: a tenant's credentials for integrations, each limited to some permission scopes.
-- Only the SHA-256 of the secret is kept; the key is shown once, when created.
CREATE TABLE api_keys (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    id            BLOB NOT NULL,
    name          TEXT NOT NULL,
    -- Permission scopes, space-separated (`inventory.read sales.write`).
    scopes        TEXT NOT NULL,
    key_hash      BLOB NOT NULL,
    created_by    BLOB NOT NULL REFERENCES users (id),
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER,
    PRIMARY KEY (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX api_keys_key_hash ON api_keys (tenant_id, key_hash);
