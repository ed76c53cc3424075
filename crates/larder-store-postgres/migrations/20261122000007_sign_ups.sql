-- Sign-ups waiting for their email to be verified. Nothing of the tenant or the person exists
-- until the link's single-use token (kept as SHA-256; an operator issues it while there is no
-- mail) is used, so the sign-up answer is the same whether or not the email has an account.
CREATE TABLE sign_ups (
    id             uuid PRIMARY KEY,
    email          text NOT NULL,
    name           text NOT NULL,
    tenant_name    text NOT NULL,
    currency       text NOT NULL,
    time_zone      text NOT NULL,
    day_cutoff_minutes integer NOT NULL,
    password_hash  text NOT NULL,
    token_hash     bytea UNIQUE,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    confirmed_at   timestamptz
);
CREATE INDEX sign_ups_email ON sign_ups (email, created_at);
-- Expired sign-ups are deleted (their password hashes with them).
GRANT SELECT, INSERT, UPDATE, DELETE ON sign_ups TO larder_app;
