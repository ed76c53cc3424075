-- Sign-ups waiting for their email to be verified. Nothing of the tenant or the person exists
-- until the link's single-use token (kept as SHA-256; an operator issues it while there is no
-- mail) is used, so the sign-up answer is the same whether or not the email has an account.
CREATE TABLE sign_ups (
    id             BLOB PRIMARY KEY,
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    tenant_name    TEXT NOT NULL,
    currency       TEXT NOT NULL,
    time_zone      TEXT NOT NULL,
    day_cutoff_minutes INTEGER NOT NULL,
    password_hash  TEXT NOT NULL,
    token_hash     BLOB UNIQUE,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    confirmed_at   INTEGER
) STRICT;
CREATE INDEX sign_ups_email ON sign_ups (email, created_at);
