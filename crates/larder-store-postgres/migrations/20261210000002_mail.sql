-- Outgoing mail (issue 10, ADR 029): messages queued in the transaction of what they announce,
-- sent by the mail sender with retries, and kept with their last attempt as the tenant's
-- delivery log. Recipients and attachment names are one per line; the files themselves are in
-- mail_attachments, read only when a message is sent.
CREATE TABLE mail (
    tenant_id         uuid NOT NULL REFERENCES tenants (id),
    id                uuid NOT NULL,
    recipients        text NOT NULL,
    subject           text NOT NULL,
    text_body         text NOT NULL,
    html_body         text,
    purpose           text COLLATE "C" NOT NULL,
    status            text COLLATE "C" NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts          integer NOT NULL CHECK (attempts >= 0),
    next_attempt_at   timestamptz NOT NULL,
    last_error        text,
    last_attempt_at   timestamptz,
    sent_at           timestamptz,
    attachment_names  text NOT NULL,
    created_by        uuid,
    created_at        timestamptz NOT NULL,
    CONSTRAINT mail_pkey PRIMARY KEY (tenant_id, id)
);
-- The sender's claim (and its work list) reads only pending messages.
CREATE INDEX mail_due ON mail (tenant_id, next_attempt_at) WHERE status = 'pending';

CREATE TABLE mail_attachments (
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    mail_id       uuid NOT NULL,
    position      integer NOT NULL CHECK (position >= 0),
    name          text NOT NULL,
    content_type  text NOT NULL,
    body          bytea NOT NULL,
    CONSTRAINT mail_attachments_pkey PRIMARY KEY (tenant_id, mail_id, position),
    FOREIGN KEY (tenant_id, mail_id) REFERENCES mail (tenant_id, id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['mail', 'mail_attachments']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
                         USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)
                         WITH CHECK (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE ON mail TO larder_app;
GRANT SELECT, INSERT ON mail_attachments TO larder_app;

-- The mail sender's work list across tenants, run as the table's owner. As for the relay's and
-- the webhooks' lists (20261209000003), forced row-level security would hide every row from
-- the owner too (no tenant is set), so `mail` applies its policy to everyone but its owner; the
-- application role owns nothing and stays bound.
CREATE FUNCTION larder_mail_tenants() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT DISTINCT tenant_id FROM mail WHERE status = 'pending' ORDER BY tenant_id $$;
GRANT EXECUTE ON FUNCTION larder_mail_tenants() TO larder_app;
ALTER TABLE mail NO FORCE ROW LEVEL SECURITY;
