-- Outgoing mail (issue 10, ADR 029): messages queued in the transaction of what they announce,
-- sent by the mail sender with retries, and kept with their last attempt as the tenant's
-- delivery log. Recipients and attachment names are one per line; the files themselves are in
-- mail_attachments, read only when a message is sent.
CREATE TABLE mail (
    tenant_id         BLOB NOT NULL REFERENCES tenants (id),
    id                BLOB NOT NULL,
    recipients        TEXT NOT NULL,
    subject           TEXT NOT NULL,
    text_body         TEXT NOT NULL,
    html_body         TEXT,
    purpose           TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts          INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at   INTEGER NOT NULL,
    last_error        TEXT,
    last_attempt_at   INTEGER,
    sent_at           INTEGER,
    attachment_names  TEXT NOT NULL,
    created_by        BLOB,
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
-- The sender's claim (and its work list) reads only pending messages.
CREATE INDEX mail_due ON mail (tenant_id, next_attempt_at) WHERE status = 'pending';

CREATE TABLE mail_attachments (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    mail_id       BLOB NOT NULL,
    position      INTEGER NOT NULL CHECK (position >= 0),
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    body          BLOB NOT NULL,
    PRIMARY KEY (tenant_id, mail_id, position),
    FOREIGN KEY (tenant_id, mail_id) REFERENCES mail (tenant_id, id)
) STRICT;
