//! Mail (ADR 029): messages are queued in the transaction of what they announce ([`queue`]:
//! an alert, a daily digest, a purchase order emailed to its supplier), so a rolled-back change
//! sends nothing; the sender claims due messages under a lease ([`App::mail_round`]), hands each
//! to a [`MailSender`] (SMTP in the binary) and records the outcome: sent, refused for good by
//! the mail server (a 5xx answer: never retried), or failed for now and retried with backoff
//! for hours ([`larder_core::mail::RETRY_WAITS_SECS`]) before it is given up. Every message
//! stays in the tenant's delivery log (`GET /mail`, owners and admins), so a bounced alert or
//! purchase order is seen.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use larder_core::TenantId;
use larder_core::UserId;
use larder_core::auth::Permission;
use larder_core::mail::{
    MAX_MESSAGE_BYTES, MAX_RECIPIENTS, MAX_SUBJECT_CHARS, parse_address, retry_after,
};
use larder_store::{DueMail, MailAttempt, MailFilter, MailRow, Mode, TenantTx, run_tenant};
pub use larder_store::{MailAttachment, NewMail};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::page;
use crate::{App, AppError, Principal};

/// How long a claimed message is leased to its sender (longer than [`SEND_TIMEOUT`]).
pub const LEASE: Duration = Duration::seconds(150);
/// How long one attempt may take, connecting and the whole SMTP dialogue included.
pub const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
/// Most characters of an attempt's error kept in the log.
const MAX_ERROR_CHARS: usize = 500;

/// A message as the sender builds it: addresses checked, bodies and files as queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The message's id (a sender may use it for its `Message-ID`).
    pub id: Uuid,
    /// Recipients.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// The `text/plain` body.
    pub text: String,
    /// The `text/html` alternative.
    pub html: Option<String>,
    /// Files, in order.
    pub attachments: Vec<MailAttachment>,
}

/// Why a message was not sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// Refused for good: the mail server answered 5xx (no such mailbox, message refused), or
    /// the message cannot be built (an address it will not take). Not retried.
    #[error("{0}")]
    Permanent(String),
    /// Failed for now: no connection, a timeout, a 4xx answer. Retried later.
    #[error("{0}")]
    Temporary(String),
}

/// Where messages go: sends one message to every recipient, or says why not and whether
/// trying again may help.
#[async_trait]
pub trait MailSender: Send + Sync {
    /// Sends `m`.
    ///
    /// # Errors
    /// [`SendFailure`] in words for the delivery log (the mail server's answer when it gave
    /// one).
    async fn send(&self, m: &OutgoingMail) -> Result<(), SendFailure>;
}

/// A message's state in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MailStatus {
    /// Waiting for its first attempt or a retry.
    Pending,
    /// The mail server took it.
    Sent,
    /// Refused for good by the mail server, or given up after the last retry.
    Failed,
}

impl MailStatus {
    /// The stored spelling.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }
}

/// A message in the delivery log (its bodies are not shown).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Mail {
    /// Id.
    pub id: Uuid,
    /// Recipients.
    pub to: Vec<String>,
    /// Subject.
    pub subject: String,
    /// What it is for: `alert`, `digest`, `purchase_order`, ...
    pub purpose: String,
    /// `pending`, `sent` or `failed`.
    pub status: MailStatus,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last failure: the mail server's answer (`550 5.1.1 ...`) or why none came.
    pub last_error: Option<String>,
    /// When the last attempt ended.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the mail server took it.
    pub sent_at: Option<DateTime<Utc>>,
    /// The attachments' file names.
    pub attachments: Vec<String>,
    /// Who caused it; absent for the system (an alert, a digest).
    pub created_by: Option<UserId>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

impl TryFrom<MailRow> for Mail {
    type Error = AppError;
    fn try_from(m: MailRow) -> Result<Self, AppError> {
        let status = match m.status.as_str() {
            "pending" => MailStatus::Pending,
            "sent" => MailStatus::Sent,
            "failed" => MailStatus::Failed,
            other => return Err(AppError::Internal(format!("mail status {other}"))),
        };
        Ok(Self {
            id: m.id,
            to: m.to,
            subject: m.subject,
            purpose: m.purpose,
            next_attempt_at: (status == MailStatus::Pending).then_some(m.next_attempt_at),
            status,
            attempts: m.attempts,
            last_error: m.last_error,
            last_attempt_at: m.last_attempt_at,
            sent_at: m.sent_at,
            attachments: m.attachment_names,
            created_by: m.created_by,
            created_at: m.created_at,
        })
    }
}

impl Mail {
    /// A message just queued, as the log will show it.
    #[must_use]
    pub fn queued(m: &NewMail) -> Self {
        Self {
            id: m.id,
            to: m.to.clone(),
            subject: m.subject.clone(),
            purpose: m.purpose.clone(),
            status: MailStatus::Pending,
            attempts: 0,
            next_attempt_at: Some(m.created_at),
            last_error: None,
            last_attempt_at: None,
            sent_at: None,
            attachments: m.attachments.iter().map(|a| a.name.clone()).collect(),
            created_by: m.created_by,
            created_at: m.created_at,
        }
    }
}

/// A page of the delivery log, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MailPage {
    /// Newest first.
    pub data: Vec<Mail>,
    /// The next (older) page's cursor.
    pub next_cursor: Option<String>,
}

/// Reading the delivery log.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MailQuery {
    /// Only in this state (`failed`: what bounced or was given up).
    pub status: Option<MailStatus>,
    /// Only for this purpose (`alert`, `digest`, `purchase_order`, ...).
    #[param(max_length = 50, pattern = "^[a-z0-9_]{1,50}$")]
    pub purpose: Option<String>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`, as it was given (an opaque token).
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// Whether `s` is a purpose: 1 to 50 lower-case letters, digits and underscores.
fn is_purpose(s: &str) -> bool {
    (1..=50).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Whether `s` is a media type a mail header can carry: `type/subtype`, then optional
/// parameters, in printable ASCII.
fn is_media_type(s: &str) -> bool {
    let essence = s.split(';').next().unwrap_or_default().trim();
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    s.len() <= 200
        && s.bytes().all(|b| (0x20..0x7f).contains(&b))
        && essence
            .split_once('/')
            .is_some_and(|(t, sub)| token(t) && token(sub))
}

/// Checks a message before it is queued and returns it as it will be sent: 1 to
/// [`MAX_RECIPIENTS`] addresses ([`parse_address`], lower-cased, each once), a subject of at
/// most [`MAX_SUBJECT_CHARS`] characters on one line, bodies without control characters other
/// than line breaks and tabs, attachments with a file name and a media type, everything
/// together at most [`MAX_MESSAGE_BYTES`], and a purpose of lower-case letters, digits and
/// underscores.
///
/// # Errors
/// 422 naming the field (`to[1]`, `subject`, `attachments[0].name`, ...).
pub fn check(m: &NewMail) -> Result<NewMail, AppError> {
    if m.to.is_empty() || m.to.len() > MAX_RECIPIENTS {
        return Err(AppError::invalid(
            "to",
            format!("give 1 to {MAX_RECIPIENTS} addresses"),
        ));
    }
    let mut to: Vec<String> = Vec::with_capacity(m.to.len());
    for (i, a) in m.to.iter().enumerate() {
        let a =
            parse_address(a).map_err(|e| AppError::invalid(format!("to[{i}]"), e.to_string()))?;
        if !to.contains(&a) {
            to.push(a);
        }
    }
    let subject = crate::required_text("subject", &m.subject, MAX_SUBJECT_CHARS)?;
    let body = |field: &str, v: &str| {
        larder_core::text::clean(v, MAX_MESSAGE_BYTES, &['\n', '\r', '\t'])
            .map_err(|e| AppError::invalid(field, e.to_string()))
    };
    let text = body("text", &m.text)?;
    let html = m.html.as_deref().map(|h| body("html", h)).transpose()?;
    let mut size = text.len() + html.as_ref().map_or(0, String::len);
    let mut attachments = Vec::with_capacity(m.attachments.len());
    for (i, a) in m.attachments.iter().enumerate() {
        let name = crate::required_text(&format!("attachments[{i}].name"), &a.name, 200)?;
        if !is_media_type(&a.content_type) {
            return Err(AppError::invalid(
                format!("attachments[{i}].content_type"),
                "is not a media type (type/subtype)",
            ));
        }
        size += a.body.len();
        attachments.push(MailAttachment {
            name,
            content_type: a.content_type.clone(),
            body: a.body.clone(),
        });
    }
    if size > MAX_MESSAGE_BYTES {
        return Err(AppError::invalid(
            "attachments",
            format!("the message is {size} bytes; at most {MAX_MESSAGE_BYTES} can be sent"),
        ));
    }
    if !is_purpose(&m.purpose) {
        return Err(AppError::invalid(
            "purpose",
            "is 1 to 50 lower-case letters, digits and underscores",
        ));
    }
    Ok(NewMail {
        id: m.id,
        to,
        subject,
        text,
        html,
        attachments,
        purpose: m.purpose.clone(),
        created_by: m.created_by,
        created_at: m.created_at,
    })
}

/// Queues `m` in the caller's transaction, after [`check`]ing it: it is sent once that
/// transaction commits (and never if it rolls back). Returns the message as logged.
///
/// # Errors
/// 422 naming the field; storage errors.
pub async fn queue(tx: &mut dyn TenantTx, m: &NewMail) -> Result<Mail, AppError> {
    let m = check(m)?;
    tx.queue_mail(&m).await?;
    Ok(Mail::queued(&m))
}

/// Escapes text for HTML (element content and quoted attribute values).
#[must_use]
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The delivery log is for owners and admins in person (`members.manage`, not an API key): it
/// names people's and suppliers' addresses and what was sent to them.
fn require_manager(p: &Principal) -> Result<(), AppError> {
    p.require(Permission::MembersManage)?;
    if p.scopes.is_some() {
        return Err(AppError::Forbidden(
            "the mail log is for owners and admins in person, not an API key",
        ));
    }
    Ok(())
}

/// The outcome of one attempt, as recorded: sent, retried later, or failed for good.
fn outcome(due: &DueMail, result: Result<(), SendFailure>, done: DateTime<Utc>) -> MailAttempt {
    let attempts = due.mail.attempts.saturating_add(1);
    let mut a = MailAttempt {
        id: due.mail.id,
        leased_until: due.mail.next_attempt_at,
        status: "sent".into(),
        attempts,
        next_attempt_at: done,
        last_error: None,
        attempted_at: done,
    };
    let cut = |e: String| -> String { e.chars().take(MAX_ERROR_CHARS).collect() };
    match result {
        Ok(()) => {}
        Err(SendFailure::Permanent(e)) => {
            a.status = "failed".into();
            a.last_error = Some(cut(e));
        }
        Err(SendFailure::Temporary(e)) => {
            match retry_after(u32::try_from(attempts).unwrap_or(u32::MAX)) {
                Some(wait) => {
                    a.status = "pending".into();
                    a.next_attempt_at = done + wait;
                    a.last_error = Some(cut(e));
                }
                None => {
                    a.status = "failed".into();
                    a.last_error = Some(cut(format!(
                        "given up after {attempts} attempts; the last: {e}"
                    )));
                }
            }
        }
    }
    a
}

impl App {
    /// The tenant's messages, newest first, optionally of one status or purpose.
    ///
    /// # Errors
    /// 403 unless an owner or admin in person; 422 on `limit`, `purpose` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn mail_log(&self, p: Principal, q: MailQuery) -> Result<MailPage, AppError> {
        require_manager(&p)?;
        let limit = page::limit(q.limit)?;
        if q.purpose.as_deref().is_some_and(|s| !is_purpose(s)) {
            return Err(AppError::invalid(
                "purpose",
                "is 1 to 50 lower-case letters, digits and underscores",
            ));
        }
        let before = match &q.cursor {
            Some(c) => Some(
                Uuid::parse_str(&page::decode(c, 1)?[0])
                    .map_err(|_| AppError::invalid("cursor", "is not a cursor of this list"))?,
            ),
            None => None,
        };
        let filter = MailFilter {
            status: q.status.map(|s| s.as_str().to_owned()),
            purpose: q.purpose,
            before,
            limit: limit + 1,
        };
        let mut rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { tx.list_mail(&filter).await })
        })
        .await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = match (more, rows.last()) {
            (true, Some(m)) => Some(page::encode(&[&m.id.to_string()])),
            _ => None,
        };
        Ok(MailPage {
            data: rows
                .into_iter()
                .map(Mail::try_from)
                .collect::<Result<_, _>>()?,
            next_cursor,
        })
    }

    /// One message of the log.
    ///
    /// # Errors
    /// 403 unless an owner or admin in person; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_mail(&self, p: Principal, id: Uuid) -> Result<Mail, AppError> {
        require_manager(&p)?;
        let row = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { tx.get_mail(id).await })
        })
        .await?
        .ok_or(AppError::NotFound("mail"))?;
        Mail::try_from(row)
    }

    /// One round of the mail sender: for every tenant with pending mail, claims what is due
    /// (leased for [`LEASE`], at most `permits`' free permits) and sends each message in its
    /// own task holding a permit, so a slow mail server holds up no more than the permits.
    /// Returns how many sends were started.
    ///
    /// # Errors
    /// Storage errors (sends report their failures to the delivery log, not here).
    pub async fn mail_round(
        &self,
        sender: Arc<dyn MailSender>,
        permits: Arc<tokio::sync::Semaphore>,
    ) -> Result<usize, AppError> {
        let mut started = 0;
        for tenant in self.db().mail_tenants().await? {
            let free = u32::try_from(permits.available_permits()).unwrap_or(u32::MAX);
            if free == 0 {
                break;
            }
            let now = Utc::now();
            let due = run_tenant(self.db(), tenant, Mode::Write, move |tx| {
                Box::pin(async move { tx.claim_mail(now, now + LEASE, free).await })
            })
            .await?;
            for d in due {
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    break; // leased: sent when the lease ends
                };
                let (app, sender) = (self.clone(), sender.clone());
                tokio::spawn(async move {
                    if let Err(e) = app.send_mail(tenant, d, sender.as_ref()).await {
                        tracing::warn!(error = %e, "recording a mail attempt failed");
                    }
                    drop(permit);
                });
                started += 1;
            }
        }
        Ok(started)
    }

    /// Sends one claimed message and records the attempt.
    async fn send_mail(
        &self,
        tenant: TenantId,
        due: DueMail,
        sender: &dyn MailSender,
    ) -> Result<(), AppError> {
        let m = OutgoingMail {
            id: due.mail.id,
            to: due.mail.to.clone(),
            subject: due.mail.subject.clone(),
            text: due.text.clone(),
            html: due.html.clone(),
            attachments: due.attachments.clone(),
        };
        let result = tokio::time::timeout(SEND_TIMEOUT, sender.send(&m))
            .await
            .unwrap_or_else(|_| {
                Err(SendFailure::Temporary(format!(
                    "no answer in {} s",
                    SEND_TIMEOUT.as_secs()
                )))
            });
        if let Err(e) = &result {
            tracing::info!(tenant_id = %tenant, mail_id = %m.id, error = %e, "a mail was not sent");
        }
        let attempt = outcome(&due, result, Utc::now());
        let recorded = run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move { tx.record_mail_attempt(&attempt).await })
        })
        .await?;
        if !recorded {
            tracing::warn!(tenant_id = %tenant, mail_id = %m.id,
                "a mail attempt ended after its lease; another sender's outcome stands");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_mail() -> NewMail {
        NewMail {
            id: Uuid::now_v7(),
            to: vec![
                " Orders@Supplier.Example ".into(),
                "orders@supplier.example".into(),
            ],
            subject: "  Purchase order PO-000001 ".into(),
            text: "Hello\r\n".into(),
            html: Some("<p>Hello</p>".into()),
            attachments: vec![MailAttachment {
                name: "PO-000001.pdf".into(),
                content_type: "application/pdf".into(),
                body: vec![0, 1, 2],
            }],
            purpose: "purchase_order".into(),
            created_by: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn a_message_is_checked_and_normalized_naming_the_field() {
        let m = check(&new_mail()).unwrap();
        assert_eq!(m.to, vec!["orders@supplier.example"], "once, lower-cased");
        assert_eq!(m.subject, "Purchase order PO-000001");
        let field = |m: NewMail| match check(&m) {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let mut m = new_mail();
        m.to = vec![];
        assert_eq!(field(m), "to");
        let mut m = new_mail();
        m.to.push("not an address".into());
        assert_eq!(field(m), "to[2]");
        let mut m = new_mail();
        m.subject = "Hi\r\nBcc: x@example.com".into();
        assert_eq!(field(m), "subject");
        let mut m = new_mail();
        m.text = "NUL \0".into();
        assert_eq!(field(m), "text");
        let mut m = new_mail();
        m.attachments[0].content_type = "pdf".into();
        assert_eq!(field(m), "attachments[0].content_type");
        let mut m = new_mail();
        m.attachments[0].body = vec![0; MAX_MESSAGE_BYTES];
        assert_eq!(field(m), "attachments");
        let mut m = new_mail();
        m.purpose = "Purchase Order".into();
        assert_eq!(field(m), "purpose");
        assert!(is_media_type("text/csv; charset=utf-8"));
        assert!(!is_media_type("text/csv\r\nX: y"));
    }

    fn due(attempts: i32) -> DueMail {
        let at = Utc::now();
        DueMail {
            mail: MailRow {
                id: Uuid::now_v7(),
                to: vec!["a@example.com".into()],
                subject: "s".into(),
                purpose: "alert".into(),
                status: "pending".into(),
                attempts,
                next_attempt_at: at,
                last_error: None,
                last_attempt_at: None,
                sent_at: None,
                attachment_names: vec![],
                created_by: None,
                created_at: at,
            },
            text: "t".into(),
            html: None,
            attachments: vec![],
        }
    }

    #[test]
    fn a_refusal_fails_at_once_and_a_temporary_failure_is_retried_until_the_last() {
        let now = Utc::now();
        let sent = outcome(&due(0), Ok(()), now);
        assert_eq!((sent.status.as_str(), sent.attempts), ("sent", 1));
        let refused = outcome(
            &due(0),
            Err(SendFailure::Permanent("550 5.1.1 no such mailbox".into())),
            now,
        );
        assert_eq!(refused.status, "failed");
        assert_eq!(
            refused.last_error.as_deref(),
            Some("550 5.1.1 no such mailbox")
        );
        let retried = outcome(&due(0), Err(SendFailure::Temporary("421".into())), now);
        assert_eq!(retried.status, "pending");
        assert_eq!(retried.next_attempt_at, now + Duration::minutes(1));
        let last = i32::try_from(larder_core::mail::max_attempts()).unwrap() - 1;
        let given_up = outcome(&due(last), Err(SendFailure::Temporary("421".into())), now);
        assert_eq!(given_up.status, "failed");
        assert!(
            given_up
                .last_error
                .unwrap()
                .starts_with("given up after 8 attempts")
        );
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<b>"Fish & Chips"</b> 'x'"#),
            "&lt;b&gt;&quot;Fish &amp; Chips&quot;&lt;/b&gt; &#39;x&#39;"
        );
    }
}
