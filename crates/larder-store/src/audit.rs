//! The audit port: the hash-chained audit log (ADR 026).
//!
//! A use case records what it did with [`AuditTx::record_audit`]; the record is held by the
//! transaction and written just before it commits ([`crate::sql::SqlTx::flush_events`]): the
//! tenant's `audit_heads` row is locked, each record numbered after it and hashed over the
//! previous record's hash and its own canonical bytes ([`larder_core::audit`]), and the head
//! moved on; on PostgreSQL the numbering round after the commit does that instead, under the
//! same lock as the events' (ADR 025 and 026, amended). A rolled-back transaction leaves no
//! record.
//! The table is append-only (a trigger on both backends).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::UserId;
use uuid::Uuid;

use crate::StoreError;

/// A record to append: everything but its number and hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAudit {
    /// UUIDv7.
    pub id: Uuid,
    /// When (stored to the microsecond).
    pub at: DateTime<Utc>,
    /// Who; `None` for the system or an unknown person.
    pub actor: Option<UserId>,
    /// What was done: an event type (`catalog.item_created`) or an `auth.` action.
    pub action: String,
    /// What it was done to: `item`, `member`, `session`...
    pub target_type: String,
    /// Its id, if any.
    pub target_id: Option<String>,
    /// JSON `{"before": ..., "after": ...}`: the target's scalar fields before and after.
    pub summary: String,
    /// The request's id.
    pub request_id: Option<String>,
    /// The client's address.
    pub client_addr: Option<String>,
}

/// A stored record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    /// The tenant's number, from 1.
    pub seq: i64,
    /// UUIDv7.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Option<UserId>,
    /// What.
    pub action: String,
    /// To what: kind.
    pub target_type: String,
    /// To what: id.
    pub target_id: Option<String>,
    /// Before and after (JSON).
    pub summary: String,
    /// The request's id.
    pub request_id: Option<String>,
    /// The client's address.
    pub client_addr: Option<String>,
    /// The previous record's hash (32 zero bytes for the first).
    pub prev_hash: Vec<u8>,
    /// SHA-256 over `prev_hash` and this record's canonical bytes.
    pub hash: Vec<u8>,
}

/// Which records to list, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// By this person.
    pub actor: Option<UserId>,
    /// Whose action starts with this (`auth.`, `catalog.item_`).
    pub action_prefix: Option<String>,
    /// On this target.
    pub target_id: Option<String>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
    /// With a number below this (the cursor).
    pub before_seq: Option<i64>,
    /// At most this many.
    pub limit: u32,
}

/// The audit port.
#[async_trait]
pub trait AuditTx: Send {
    /// Holds a record to be appended when the transaction commits.
    fn record_audit(&mut self, record: NewAudit);
    /// The summary of the latest record on `target_id` (for the next record's "before").
    async fn last_audit_summary(&mut self, target_id: &str) -> Result<Option<String>, StoreError>;
    /// The tenant's records matching `filter`, newest first.
    async fn list_audit(&mut self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError>;
    /// The tenant's records after number `after`, oldest first, at most `limit`: the chain as
    /// stored, for verification.
    async fn audit_chain(&mut self, after: i64, limit: u32) -> Result<Vec<AuditRow>, StoreError>;
    /// The tenant's chain head: the last number and hash (`None` before the first record).
    async fn audit_head(&mut self) -> Result<Option<(i64, Vec<u8>)>, StoreError>;
}
