//! The mail port (ADR 029): outgoing messages queued in the transaction of what they announce
//! (an alert, a digest, a purchase order emailed to its supplier), claimed by the sender under
//! a lease, and kept with their last attempt as the tenant's delivery log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::UserId;
use uuid::Uuid;

use crate::StoreError;

/// A file sent with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailAttachment {
    /// The file name the recipient sees (`PO-000012.pdf`).
    pub name: String,
    /// Its media type (`application/pdf`).
    pub content_type: String,
    /// The bytes, sent as they are.
    pub body: Vec<u8>,
}

/// A message to queue. Its addresses, subject and size are checked by the caller
/// (`larder_app::mail::queue` does it); the store keeps what it is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMail {
    /// UUIDv7.
    pub id: Uuid,
    /// The recipients' addresses (at least one).
    pub to: Vec<String>,
    /// The subject.
    pub subject: String,
    /// The `text/plain` body.
    pub text: String,
    /// The `text/html` alternative, if any.
    pub html: Option<String>,
    /// Files sent with it, in order.
    pub attachments: Vec<MailAttachment>,
    /// What it is for: `alert`, `digest`, `purchase_order`, ...
    pub purpose: String,
    /// Who caused it; `None` for the system (an alert rule, a digest).
    pub created_by: Option<UserId>,
    /// When it was queued (and first due).
    pub created_at: DateTime<Utc>,
}

/// A queued message as the delivery log shows it: no bodies, the attachments by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailRow {
    /// UUIDv7.
    pub id: Uuid,
    /// The recipients.
    pub to: Vec<String>,
    /// The subject.
    pub subject: String,
    /// What it is for.
    pub purpose: String,
    /// `pending` (due at `next_attempt_at`, or leased to a sender until then), `sent`, or
    /// `failed` (refused for good, or given up after the last retry).
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due (pending), or when a sender's lease ends.
    pub next_attempt_at: DateTime<Utc>,
    /// The last failure: the mail server's answer (`550 5.1.1 ...`) or why none came.
    pub last_error: Option<String>,
    /// When the last attempt ended.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the mail server took it.
    pub sent_at: Option<DateTime<Utc>>,
    /// The attachments' file names, in order.
    pub attachment_names: Vec<String>,
    /// Who caused it.
    pub created_by: Option<UserId>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

/// A due message claimed for sending: its log row (`next_attempt_at` is the lease's end) and
/// everything the sender needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueMail {
    /// The message as logged, leased.
    pub mail: MailRow,
    /// The `text/plain` body.
    pub text: String,
    /// The `text/html` alternative.
    pub html: Option<String>,
    /// Its files, in order.
    pub attachments: Vec<MailAttachment>,
}

/// The outcome of one attempt, recorded on the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailAttempt {
    /// The message.
    pub id: Uuid,
    /// The lease the attempt was made under (the claimed row's `next_attempt_at`): the
    /// outcome is recorded only while the message is still pending under it.
    pub leased_until: DateTime<Utc>,
    /// `pending` (to be retried at `next_attempt_at`), `sent` or `failed`.
    pub status: String,
    /// Attempts made, this one included.
    pub attempts: i32,
    /// When the next attempt is due (pending); otherwise when this one ended.
    pub next_attempt_at: DateTime<Utc>,
    /// Why it failed (none when sent).
    pub last_error: Option<String>,
    /// When this attempt ended.
    pub attempted_at: DateTime<Utc>,
}

/// Which messages a delivery log page shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailFilter {
    /// Only in this status.
    pub status: Option<String>,
    /// Only for this purpose.
    pub purpose: Option<String>,
    /// Only older than this message (the previous page's last id).
    pub before: Option<Uuid>,
    /// At most this many.
    pub limit: u32,
}

/// The mail port.
#[async_trait]
pub trait MailTx: Send {
    /// Queues a message with its attachments, due at its `created_at`.
    async fn queue_mail(&mut self, m: &NewMail) -> Result<(), StoreError>;
    /// Claims up to `limit` pending messages due at `now`, earliest due first, and leases them
    /// until `lease` (their `next_attempt_at`), so no other sender takes them meanwhile
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent claims never take one twice).
    async fn claim_mail(
        &mut self,
        now: DateTime<Utc>,
        lease: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueMail>, StoreError>;
    /// Records an attempt's outcome when the message is still pending under the attempt's
    /// lease; false when it is not (the lease lapsed and another sender took it, whose
    /// outcome counts).
    async fn record_mail_attempt(&mut self, a: &MailAttempt) -> Result<bool, StoreError>;
    /// The tenant's messages that `f` selects, newest first.
    async fn list_mail(&mut self, f: &MailFilter) -> Result<Vec<MailRow>, StoreError>;
    /// A message, as logged.
    async fn get_mail(&mut self, id: Uuid) -> Result<Option<MailRow>, StoreError>;
}
