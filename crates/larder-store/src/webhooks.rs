//! The webhooks port (ADR 027): per-tenant subscriptions to event types, and one delivery per
//! subscription and event with its attempts.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::UserId;
use uuid::Uuid;

use crate::StoreError;

/// A subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookRow {
    /// UUIDv7.
    pub id: Uuid,
    /// The `http(s)://` target.
    pub url: String,
    /// What it is for.
    pub description: Option<String>,
    /// The event types it receives, comma-separated; empty: every type.
    pub event_types: String,
    /// The signing secret, `whsec_<base64>`.
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_until`.
    pub previous_secret: Option<String>,
    /// See `previous_secret`.
    pub previous_until: Option<DateTime<Utc>>,
    /// Deliveries are made.
    pub active: bool,
    /// Why it was switched off (by a person or after sustained failure).
    pub disabled_reason: Option<String>,
    /// The last event sequence number considered for delivery.
    pub cursor_seq: i64,
    /// Failed attempts since the last success.
    pub failures: i32,
    /// The first failure since the last success.
    pub failing_since: Option<DateTime<Utc>>,
    /// Who made it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic concurrency.
    pub version: i64,
}

/// A delivery of one event to one subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryRow {
    /// UUIDv7.
    pub id: Uuid,
    /// The subscription.
    pub webhook_id: Uuid,
    /// The event's id (the `webhook-id` header).
    pub event_id: Uuid,
    /// The event's sequence number.
    pub event_seq: i64,
    /// Its type.
    pub event_type: String,
    /// `pending`, `succeeded` or `failed` (gave up).
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due (pending), or when it was leased to a sender.
    pub next_attempt_at: DateTime<Utc>,
    /// The last answer's HTTP status.
    pub last_status: Option<i32>,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// When the last attempt ended.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A due delivery, claimed for sending, with what the sender needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueDelivery {
    /// The delivery.
    pub delivery: DeliveryRow,
    /// Its target.
    pub url: String,
    /// The secrets to sign with (the current first, then the previous one while it lasts).
    pub secrets: Vec<String>,
    /// The event.
    pub event: crate::EventRow,
}

/// The webhooks port.
#[async_trait]
pub trait WebhookTx: Send {
    /// Adds a subscription. Conflict `webhooks_url` when the tenant has one to that URL.
    async fn insert_webhook(&mut self, w: &WebhookRow) -> Result<(), StoreError>;
    /// A subscription.
    async fn get_webhook(&mut self, id: Uuid) -> Result<Option<WebhookRow>, StoreError>;
    /// The tenant's subscriptions, newest first.
    async fn list_webhooks(&mut self) -> Result<Vec<WebhookRow>, StoreError>;
    /// Replaces a subscription's settings, secrets, state and failure count when its version
    /// is `w.version - 1`. NotFound when it is gone, Conflict `webhooks_version` when stale.
    async fn update_webhook(&mut self, w: &WebhookRow) -> Result<(), StoreError>;
    /// Makes pending deliveries (due at `now`) for the events after a subscription's cursor
    /// that it takes, up to `limit` events looked at, and moves its cursor past them; returns
    /// how many deliveries were made. Each (subscription, event) is delivered once.
    async fn enqueue_deliveries(
        &mut self,
        webhook: Uuid,
        types: &[String],
        limit: u32,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError>;
    /// Claims up to `limit` pending deliveries due at `now` and leases them until `lease`
    /// (their `next_attempt_at`), so no other sender takes them meanwhile (PostgreSQL:
    /// `FOR UPDATE SKIP LOCKED`).
    async fn claim_deliveries(
        &mut self,
        now: DateTime<Utc>,
        lease: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError>;
    /// Records an attempt's outcome: the delivery's new status, attempts, next due time, last
    /// answer and error; and on its subscription, atomically, a success (failures to 0) or a
    /// failure (one more, failing since `now` unless already). Returns the subscription's
    /// failures in a row and since when.
    async fn record_attempt(
        &mut self,
        d: &DeliveryRow,
        succeeded: bool,
        now: DateTime<Utc>,
    ) -> Result<(i32, Option<DateTime<Utc>>), StoreError>;
    /// Switches a subscription off with `reason` (its version moves on).
    async fn disable_webhook(
        &mut self,
        id: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Makes a delivery due again at `now` (the replay button); false when there is none.
    async fn replay_delivery(&mut self, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError>;
    /// A subscription's deliveries, newest first, below `before` (an id), at most `limit`.
    async fn list_deliveries(
        &mut self,
        webhook: Uuid,
        before: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<DeliveryRow>, StoreError>;
    /// A delivery.
    async fn get_delivery(&mut self, id: Uuid) -> Result<Option<DeliveryRow>, StoreError>;
}
