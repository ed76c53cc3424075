//! The mail statements (ADR 029). A message's recipients and attachment names are kept one
//! per line (addresses and file names hold no control characters); its files in
//! `mail_attachments`, read only when it is claimed for sending.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{DueMail, MailAttachment, MailAttempt, MailFilter, MailRow, MailTx, NewMail};

const INSERT_MAIL: &str = "INSERT INTO mail (tenant_id, id, recipients, subject, text_body,
     html_body, purpose, status, attempts, next_attempt_at, last_error, last_attempt_at,
     sent_at, attachment_names, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, NULL, NULL, NULL, $9, $10, $8)";
const INSERT_ATTACHMENT: &str = "INSERT INTO mail_attachments (tenant_id, mail_id, position,
     name, content_type, body) VALUES ($1, $2, $3, $4, $5, $6)";
const ATTACHMENTS: &str = "SELECT name, content_type, body FROM mail_attachments
     WHERE tenant_id = $1 AND mail_id = $2 ORDER BY position";
const LEASE: &str = "UPDATE mail SET next_attempt_at = $3 WHERE tenant_id = $1 AND id = $2";
const RECORD_ATTEMPT: &str = "UPDATE mail SET status = $3, attempts = $4,
     next_attempt_at = $5, last_error = $6, last_attempt_at = $7, sent_at = $8
     WHERE tenant_id = $1 AND id = $2 AND status = 'pending' AND next_attempt_at = $9";
const LIST_MAIL: &str = "SELECT id, recipients, subject, purpose, status, attempts,
     next_attempt_at, last_error, last_attempt_at, sent_at, attachment_names, created_by,
     created_at
     FROM mail
     WHERE tenant_id = $1 AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR purpose = $3)
       AND ($4 IS NULL OR id < $4)
     ORDER BY id DESC LIMIT $5";
const GET_MAIL: &str = "SELECT id, recipients, subject, purpose, status, attempts,
     next_attempt_at, last_error, last_attempt_at, sent_at, attachment_names, created_by,
     created_at
     FROM mail WHERE tenant_id = $1 AND id = $2";

/// Lines of a stored list (empty text: none).
fn lines(stored: &str) -> Vec<String> {
    stored
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The columns every reading statement selects first, in order.
fn mail_row(r: &mut Row) -> R<MailRow> {
    Ok(MailRow {
        id: r.get()?,
        to: lines(&r.get::<String>()?),
        subject: r.get()?,
        purpose: r.get()?,
        status: r.get()?,
        attempts: r.get()?,
        next_attempt_at: r.get()?,
        last_error: r.get()?,
        last_attempt_at: r.get()?,
        sent_at: r.get()?,
        attachment_names: lines(&r.get::<String>()?),
        created_by: r.get()?,
        created_at: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> MailTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn queue_mail(&mut self, m: &NewMail) -> R<()> {
        let names: Vec<&str> = m.attachments.iter().map(|a| a.name.as_str()).collect();
        self.exec
            .execute(
                INSERT_MAIL,
                args![
                    self.tenant,
                    m.id,
                    m.to.join("\n"),
                    m.subject,
                    m.text,
                    m.html,
                    m.purpose,
                    m.created_at,
                    names.join("\n"),
                    m.created_by
                ],
            )
            .await?;
        for (i, a) in m.attachments.iter().enumerate() {
            let position = i64::try_from(i).unwrap_or(i64::MAX);
            self.exec
                .execute(
                    INSERT_ATTACHMENT,
                    args![self.tenant, m.id, position, a.name, a.content_type, a.body],
                )
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn claim_mail(
        &mut self,
        now: DateTime<Utc>,
        lease: DateTime<Utc>,
        limit: u32,
    ) -> R<Vec<DueMail>> {
        let claim = self.exec.dialect().claim_mail;
        let found = self
            .exec
            .fetch_all(claim, args![self.tenant, now, i64::from(limit)])
            .await?;
        let mut out = Vec::with_capacity(found.len());
        for mut r in found {
            let mut mail = mail_row(&mut r)?;
            let text: String = r.get()?;
            let html: Option<String> = r.get()?;
            self.exec
                .execute(LEASE, args![self.tenant, mail.id, lease])
                .await?;
            // As stored (both backends keep microseconds), so the attempt's lease matches.
            mail.next_attempt_at =
                DateTime::from_timestamp_micros(lease.timestamp_micros()).unwrap_or(lease);
            let attachments = rows(
                self.exec
                    .fetch_all(ATTACHMENTS, args![self.tenant, mail.id])
                    .await?,
                |mut a| {
                    Ok(MailAttachment {
                        name: a.get()?,
                        content_type: a.get()?,
                        body: a.get()?,
                    })
                },
            )?;
            out.push(DueMail {
                mail,
                text,
                html,
                attachments,
            });
        }
        Ok(out)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn record_mail_attempt(&mut self, a: &MailAttempt) -> R<bool> {
        let sent_at = (a.status == "sent").then_some(a.attempted_at);
        let n = self
            .exec
            .execute(
                RECORD_ATTEMPT,
                args![
                    self.tenant,
                    a.id,
                    a.status,
                    a.attempts,
                    a.next_attempt_at,
                    a.last_error,
                    a.attempted_at,
                    sent_at,
                    a.leased_until
                ],
            )
            .await?;
        Ok(n == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_mail(&mut self, f: &MailFilter) -> R<Vec<MailRow>> {
        rows(
            self.exec
                .fetch_all(
                    LIST_MAIL,
                    args![
                        self.tenant,
                        f.status,
                        f.purpose,
                        f.before,
                        i64::from(f.limit)
                    ],
                )
                .await?,
            |mut r| mail_row(&mut r),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_mail(&mut self, id: Uuid) -> R<Option<MailRow>> {
        self.exec
            .fetch_optional(GET_MAIL, args![self.tenant, id])
            .await?
            .map(|mut r| mail_row(&mut r))
            .transpose()
    }
}
