//! The events port: the transactional outbox (ADR 025).
//!
//! A use case records its domain events with [`EventTx::emit`]; they are held by the
//! transaction and written just before it commits ([`crate::sql::SqlTx::flush_events`]). On
//! SQLite each takes the tenant's next sequence number there, from the tenant's `event_heads`
//! row, last in the committing transaction, so numbers are gap-free and in commit order. On
//! PostgreSQL they are written without numbers and a numbering round after the commit gives
//! them the next numbers ([`crate::sql::SqlTx::number_committed`], ADR 025 amended), gap-free
//! and in numbering order; the write waits for that round. Either way a reader that has seen
//! sequence `n` has seen everything before it: a live stream resumes from `Last-Event-ID`
//! without gaps. A transaction that rolls back writes none of its events.
//!
//! Once events are numbered the store tells its [`EventSignal`]; on PostgreSQL the round also
//! sends `NOTIFY larder_events` with `<tenant id>:<head>`, which every process's listener turns
//! into the same signal.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::{LocationId, TenantId, UserId};
use uuid::Uuid;

use crate::StoreError;

/// The PostgreSQL channel commits announce their events on.
pub const EVENTS_CHANNEL: &str = "larder_events";

/// An event to record: the envelope less what the store assigns (sequence, recording time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    /// UUIDv7, the consumers' deduplication key.
    pub id: Uuid,
    /// `<context>.<event>` (`larder_core::events::EventType`).
    pub event_type: &'static str,
    /// Where it happened; `None` for a tenant-wide change.
    pub location_id: Option<LocationId>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Who did it; `None` for the system.
    pub actor: Option<UserId>,
    /// The envelope's schema version.
    pub schema_version: i32,
    /// JSON.
    pub data: String,
}

/// A recorded event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    /// The tenant's sequence number, from 1, gap-free, in commit order.
    pub seq: i64,
    /// UUIDv7.
    pub id: Uuid,
    /// `<context>.<event>`.
    pub event_type: String,
    /// Where it happened.
    pub location_id: Option<LocationId>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was written (the commit's flush).
    pub recorded_at: DateTime<Utc>,
    /// Who did it.
    pub actor: Option<UserId>,
    /// The envelope's schema version.
    pub schema_version: i32,
    /// JSON.
    pub data: String,
}

/// The outbox port.
#[async_trait]
pub trait EventTx: Send {
    /// Holds an event to be written when the transaction commits (nothing is written if it
    /// rolls back).
    fn emit(&mut self, event: NewEvent);
    /// The tenant's events with a sequence after `after`, in sequence order, at most `limit`
    /// (who may see which is the use cases' rule).
    async fn events_after(&mut self, after: i64, limit: u32) -> Result<Vec<EventRow>, StoreError>;
    /// The tenant's last sequence number (0 before its first event).
    async fn event_head(&mut self) -> Result<i64, StoreError>;
    /// Claims the tenant's relay cursor for this transaction: the last sequence published to
    /// the broker, or `None` when another process holds it (PostgreSQL: `FOR UPDATE SKIP
    /// LOCKED`; SQLite's one writer never finds it held).
    async fn claim_relay(&mut self) -> Result<Option<i64>, StoreError>;
    /// Moves the relay cursor to `seq` (never back).
    async fn set_relayed(&mut self, seq: i64) -> Result<(), StoreError>;
}

/// A commit wrote events: the tenant and its new head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventWake {
    /// Whose.
    pub tenant_id: TenantId,
    /// The last sequence number written.
    pub head: i64,
}

impl EventWake {
    /// The `NOTIFY` payload, `<tenant id>:<head>`.
    #[must_use]
    pub fn payload(&self) -> String {
        format!("{}:{}", self.tenant_id, self.head)
    }

    /// Reads a `NOTIFY` payload.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let (t, h) = s.split_once(':')?;
        Some(Self {
            tenant_id: t.parse().ok()?,
            head: h.parse().ok()?,
        })
    }
}

/// Tells whoever waits (live streams, the relay) that a tenant has new events. Clones share
/// one channel. A receiver that lags simply reads the outbox from where it is.
#[derive(Clone, Debug)]
pub struct EventSignal(tokio::sync::broadcast::Sender<EventWake>);

impl Default for EventSignal {
    fn default() -> Self {
        Self(tokio::sync::broadcast::channel(1024).0)
    }
}

impl EventSignal {
    /// Announces a wake (no-op when nobody listens).
    pub fn wake(&self, w: EventWake) {
        let _ = self.0.send(w);
    }

    /// A new receiver of every later wake.
    #[must_use]
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<EventWake> {
        self.0.subscribe()
    }
}
