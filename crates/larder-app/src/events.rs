//! Domain events (ADR 025): recorded in the transaction of the change they announce, read back
//! in each tenant's sequence by live streams and API clients, and relayed to a broker.
//!
//! Every write use case records its [`EventType`] through [`crate::idempotency::run_once`] or
//! [`write`], with the resource it answers as the data; every posting to the ledger records
//! [`EventType::StockChanged`] through [`append_movements`]. Nothing else writes the outbox.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use larder_core::auth::Permission;
pub use larder_core::events::{EventType, SCHEMA_VERSION};
use larder_core::inventory::MovementKind;
use larder_core::{ItemId, LocationId, Quantity, TenantId, UserId};
use larder_store::prelude::*;
use larder_store::{
    BoxFuture, EventRow, LocationScope, Mode, MovementCost, MovementRow, NewEvent, StoreError,
    run_tenant,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{App, AppError, Principal};

/// Most events one read returns.
pub const MAX_EVENTS: u32 = 500;

/// An event as every consumer receives it (SSE, `GET /events`, the broker, webhooks).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Envelope {
    /// UUIDv7: the consumers' deduplication key (the same on every delivery).
    pub id: Uuid,
    /// The tenant's sequence number, gap-free, in commit order (the SSE event id).
    pub seq: i64,
    /// `<context>.<event>`, from `docs/events.md`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The tenant.
    pub tenant_id: TenantId,
    /// Where it happened; absent for a tenant-wide change.
    pub location_id: Option<LocationId>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was committed.
    pub recorded_at: DateTime<Utc>,
    /// Who did it; absent for the system.
    pub actor: Option<UserId>,
    /// The envelope's schema version ([`SCHEMA_VERSION`]).
    pub schema_version: i32,
    /// The event's data: the resource as the API answers it (an object, a list, or null
    /// for an answer without a body).
    pub data: serde_json::Value,
}

impl Envelope {
    /// The envelope of a stored event of `tenant`.
    ///
    /// # Errors
    /// 500 when the stored data is not JSON.
    pub fn from_row(tenant: TenantId, r: EventRow) -> Result<Self, AppError> {
        Ok(Self {
            id: r.id,
            seq: r.seq,
            event_type: r.event_type,
            tenant_id: tenant,
            location_id: r.location_id,
            occurred_at: r.occurred_at,
            recorded_at: r.recorded_at,
            actor: r.actor,
            schema_version: r.schema_version,
            data: serde_json::from_str(&r.data)
                .map_err(|e| AppError::Internal(format!("event {} data: {e}", r.id)))?,
        })
    }

    /// The broker's routing key, `<tenant id>.<context>.<event>`.
    #[must_use]
    pub fn routing_key(&self) -> String {
        format!("{}.{}", self.tenant_id, self.event_type)
    }
}

/// The first instant-valued field of `data` among `names`.
fn instant(data: &serde_json::Value, names: &[&str]) -> Option<DateTime<Utc>> {
    names
        .iter()
        .find_map(|n| data.get(*n)?.as_str()?.parse().ok())
}

/// Records event `t` of `p`'s doing with `data` (serialised to JSON), and its audit record
/// (ADR 026: the event type as the action, the data's `id` as the target). The location is the
/// data's `location_id` (else `from_location_id`, a transfer's sender), the instant its
/// `occurred_at` (else now); for a list (several adjustments), its first element's.
///
/// # Errors
/// 500 when `data` cannot be serialised; storage errors.
pub(crate) async fn emit(
    tx: &mut dyn TenantTx,
    p: &Principal,
    t: EventType,
    json: serde_json::Value,
) -> Result<(), AppError> {
    let head = json.as_array().and_then(|a| a.first()).unwrap_or(&json);
    // A location's own events are at that location (a member limited to others never sees
    // its name).
    let own = matches!(t, EventType::LocationCreated | EventType::LocationUpdated);
    let location_id = if own {
        &["id"][..]
    } else {
        &["location_id", "from_location_id"][..]
    }
    .iter()
    .find_map(|n| head.get(*n)?.as_str()?.parse().ok());
    let occurred_at = instant(head, &["occurred_at"]).unwrap_or_else(Utc::now);
    let target = crate::audit::target_id(&json);
    crate::audit::record_by(
        tx,
        p,
        t.as_str(),
        &crate::audit::target_type(t.as_str()),
        target,
        &json,
    )
    .await?;
    tx.emit(NewEvent {
        id: Uuid::now_v7(),
        event_type: t.as_str(),
        location_id,
        occurred_at,
        actor: Some(p.user_id),
        schema_version: SCHEMA_VERSION,
        data: json.to_string(),
    });
    Ok(())
}

/// Records event `t` done by the system or an operator command (no actor) at `location_id`,
/// and its audit record.
///
/// # Errors
/// 500 when `data` cannot be serialised; storage errors.
pub(crate) async fn emit_system(
    tx: &mut dyn TenantTx,
    t: EventType,
    location_id: Option<LocationId>,
    occurred_at: DateTime<Utc>,
    json: serde_json::Value,
) -> Result<(), AppError> {
    crate::audit::record(
        tx,
        None,
        crate::audit::RequestMeta::default(),
        t.as_str(),
        &crate::audit::target_type(t.as_str()),
        crate::audit::target_id(&json),
        &json,
    )
    .await?;
    tx.emit(NewEvent {
        id: Uuid::now_v7(),
        event_type: t.as_str(),
        location_id,
        occurred_at,
        actor: None,
        schema_version: SCHEMA_VERSION,
        data: json.to_string(),
    });
    Ok(())
}

/// The data of [`EventType::SalesImported`]: one chunk of an import at one location.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct SalesImported<'a> {
    /// The import's source (the POS or file name).
    pub source: &'a str,
    /// Where.
    pub location_id: LocationId,
    /// The sales written, in file order.
    pub sale_ids: Vec<larder_core::SaleId>,
    /// The first and last sale's instants.
    pub from: DateTime<Utc>,
    /// As `from`.
    pub to: DateTime<Utc>,
}

/// `data` as JSON.
///
/// # Errors
/// 500 when it cannot be serialised.
pub(crate) fn to_json(data: &impl Serialize) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(data).map_err(|e| AppError::Internal(e.to_string()))
}

/// Runs `work` in a write transaction of `p`'s tenant and records event `t` with its answer.
///
/// # Errors
/// `work`'s error, or a storage error.
pub(crate) async fn write<T, F>(
    store: &dyn larder_store::Store,
    p: &Principal,
    t: EventType,
    work: F,
) -> Result<T, AppError>
where
    T: Serialize + Send + 'static,
    F: for<'t> FnOnce(&'t mut dyn TenantTx) -> BoxFuture<'t, Result<T, AppError>> + Send + 'static,
{
    let p = *p;
    run_tenant(store, p.tenant_id, Mode::Write, move |tx| {
        Box::pin(async move {
            let value = work(tx).await?;
            emit(tx, &p, t, to_json(&value)?).await?;
            Ok(value)
        })
    })
    .await
}

/// One item's net movement of one kind in a [`StockChanged`].
#[derive(Clone, Debug, Serialize)]
struct ItemChange {
    item_id: ItemId,
    kind: MovementKind,
    /// Signed, in the item's base unit.
    quantity: Quantity,
    movements: u32,
}

/// The data of [`EventType::StockChanged`].
#[derive(Clone, Debug, Serialize)]
struct StockChanged {
    location_id: LocationId,
    occurred_at: DateTime<Utc>,
    items: Vec<ItemChange>,
}

/// Appends movements to the ledger ([`InventoryTx::append_movements`]) and records one
/// [`EventType::StockChanged`] per location they move: the net quantity per item and kind,
/// at the latest of their instants, by the first movement's author.
///
/// # Errors
/// As [`InventoryTx::append_movements`].
pub(crate) async fn append_movements(
    tx: &mut dyn TenantTx,
    rows: &[MovementRow],
) -> Result<Vec<MovementCost>, StoreError> {
    let costs = tx.append_movements(rows).await?;
    type Net = BTreeMap<(ItemId, &'static str), (MovementKind, i128, u32)>;
    let mut by_location: BTreeMap<LocationId, (DateTime<Utc>, Net)> = BTreeMap::new();
    for m in rows {
        let (at, net) = by_location
            .entry(m.location_id)
            .or_insert_with(|| (m.occurred_at, Net::new()));
        *at = (*at).max(m.occurred_at);
        let e = net
            .entry((m.item_id, m.kind.as_str()))
            .or_insert((m.kind, 0, 0));
        e.1 += i128::from(m.quantity.raw());
        e.2 += 1;
    }
    let actor = rows.first().and_then(|m| m.created_by);
    for (location_id, (occurred_at, net)) in by_location {
        let max = i128::from(Quantity::MAX_RAW);
        let data = StockChanged {
            location_id,
            occurred_at,
            items: net
                .into_iter()
                .map(|((item_id, _), (kind, q, n))| ItemChange {
                    item_id,
                    kind,
                    quantity: Quantity::from_raw(
                        i64::try_from(q.clamp(-max, max)).unwrap_or_default(),
                    ),
                    movements: n,
                })
                .collect(),
        };
        let json = serde_json::to_string(&data).map_err(|e| StoreError::Other(e.to_string()))?;
        tx.emit(NewEvent {
            id: Uuid::now_v7(),
            event_type: EventType::StockChanged.as_str(),
            location_id: Some(location_id),
            occurred_at,
            actor,
            schema_version: SCHEMA_VERSION,
            data: json,
        });
    }
    Ok(costs)
}

/// Which events a reader wants.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events at this location, and tenant-wide ones.
    pub location_id: Option<LocationId>,
    /// Only these types (empty: all).
    pub types: Vec<EventType>,
}

/// The query of `GET /events` and `GET /events/stream`.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Events after this sequence number (`GET /events`: default 0, from the first; the
    /// stream: default its `Last-Event-ID` header, else only events from now on).
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Only events at this location, and tenant-wide ones.
    pub location_id: Option<LocationId>,
    /// Only these types, comma-separated (`inventory.stock_changed,counts.count_approved`).
    #[param(max_length = 2000)]
    #[serde(rename = "type")]
    pub types: Option<String>,
    /// `GET /events`: most events looked at, 1..=500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

impl EventQuery {
    /// The filter it asks for.
    ///
    /// # Errors
    /// 422 on `type` naming an unknown event type.
    pub fn filter(&self) -> Result<EventFilter, AppError> {
        if self
            .types
            .as_ref()
            .is_some_and(|t| t.chars().count() > 2000)
        {
            return Err(AppError::invalid("type", "must be at most 2000 characters"));
        }
        let mut types = Vec::new();
        for t in self.types.iter().flat_map(|s| s.split(',')) {
            let t = t.trim();
            if t.is_empty() {
                continue;
            }
            types.push(EventType::parse(t).ok_or_else(|| {
                AppError::invalid(
                    "type",
                    format!("{t:?} is not an event type (docs/events.md)"),
                )
            })?);
        }
        Ok(EventFilter {
            location_id: self.location_id,
            types,
        })
    }
}

/// A read of the outbox: the events after a sequence number that the reader may see.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EventBatch {
    /// In sequence order.
    pub data: Vec<Envelope>,
    /// The last sequence number looked at (not every one is shown): where the next read
    /// starts.
    pub last_seq: i64,
}

/// What a reader must hold to see events of a context. A count's events carry book stock
/// and variances, which a blind count hides from its counters: only those who approve counts
/// see them. An alert's events carry its figures (a count's book stock, a supplier's prices):
/// they need what the alert's kind needs (ADR 028).
fn permission_for(event_type: &str, data: &str) -> Permission {
    if matches!(event_type, "alerts.alert_raised" | "alerts.alert_resolved") {
        let kind = serde_json::from_str::<serde_json::Value>(data)
            .ok()
            .and_then(|v| v.get("kind")?.as_str().map(str::to_owned))
            .unwrap_or_default();
        return crate::alerts::permission_for(&kind);
    }
    match event_type.split_once('.').map_or("", |(c, _)| c) {
        "catalog" => Permission::CatalogRead,
        "menu" => Permission::RecipesRead,
        "sales" => Permission::SalesRead,
        "purchasing" => Permission::PurchaseOrdersRead,
        "counts" => Permission::CountsApprove,
        "kitchen" => Permission::KitchenRead,
        _ => Permission::InventoryRead,
    }
}

impl App {
    /// The events of `p`'s tenant after sequence number `after` that `p` may see and `filter`
    /// keeps, at most `limit` (1..=500) looked at: those of the contexts `p` may read
    /// (catalog, menu, sales, purchasing need their read permission, counts
    /// `counts.approve`, the rest `inventory.read`); a member limited to some locations sees
    /// only events at those locations (not the tenant-wide ones, some of which name what
    /// happened elsewhere: an invoice, a count line).
    ///
    /// # Errors
    /// 403 without `inventory.read`; 422 on `limit`; 404 on a location `p` may not see.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn read_events(
        &self,
        p: Principal,
        after: i64,
        filter: EventFilter,
        limit: u32,
    ) -> Result<EventBatch, AppError> {
        p.require(Permission::InventoryRead)?;
        if after < 0 {
            return Err(AppError::invalid("after", "must not be negative"));
        }
        if !(1..=MAX_EVENTS).contains(&limit) {
            return Err(AppError::invalid("limit", "must be from 1 to 500"));
        }
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                if let Some(l) = filter.location_id {
                    crate::tenancy::require_location(tx, p.locations, l).await?;
                    tx.get_location(l)
                        .await?
                        .ok_or(AppError::NotFound("location"))?;
                }
                let allowed = match p.locations {
                    LocationScope::All => None,
                    LocationScope::Member(user) => tx.member_locations(user).await?,
                };
                let rows = tx.events_after(after.max(0), limit).await?;
                let last_seq = rows.last().map_or(after.max(0), |r| r.seq);
                let mut data = Vec::new();
                for r in rows {
                    let located = match (r.location_id, &allowed) {
                        (Some(l), Some(a)) => a.contains(&l),
                        (None, Some(_)) => false,
                        (_, None) => true,
                    };
                    let shown = located
                        && r.location_id
                            .is_none_or(|l| filter.location_id.is_none_or(|f| f == l))
                        && (filter.types.is_empty()
                            || filter.types.iter().any(|t| t.as_str() == r.event_type))
                        && p.require(permission_for(&r.event_type, &r.data)).is_ok();
                    if shown {
                        data.push(Envelope::from_row(p.tenant_id, r)?);
                    }
                }
                Ok(EventBatch { data, last_seq })
            })
        })
        .await
    }

    /// The last sequence number of `p`'s tenant (0 before its first event): where a live
    /// stream without `Last-Event-ID` starts.
    ///
    /// # Errors
    /// 403 without `inventory.read`.
    pub async fn event_head(&self, p: Principal) -> Result<i64, AppError> {
        p.require(Permission::InventoryRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { Ok(tx.event_head().await?) })
        })
        .await
    }

    /// Wakes on every commit that wrote events (of any tenant): live streams subscribe here.
    #[must_use]
    pub fn event_wakes(&self) -> tokio::sync::broadcast::Receiver<larder_store::EventWake> {
        self.db().event_signal().subscribe()
    }

    /// Relays every tenant's unrelayed events to `publisher`, in sequence order per tenant,
    /// `batch` at a time, until none is left or publishing fails. Returns how many were
    /// published. At least once: a crash between the broker's confirm and the cursor's move
    /// publishes the batch again, with the same ids.
    ///
    /// On PostgreSQL a tenant's relay cursor stays claimed (`FOR UPDATE SKIP LOCKED`) while
    /// its batch is published, so two processes never publish one tenant's events at once.
    /// On SQLite the one writer must never wait for the network: the cursor is read, the
    /// batch published, then the cursor moved, in separate transactions (one process, one
    /// relay).
    ///
    /// # Errors
    /// The publisher's failure (the events wait in the outbox) or a storage error.
    pub async fn relay_events(
        &self,
        publisher: Arc<dyn Publisher>,
        batch: u32,
    ) -> Result<usize, AppError> {
        let batch = batch.clamp(1, MAX_EVENTS);
        let mut published = 0;
        let mut failed = None;
        for tenant in self.db().unrelayed_tenants().await? {
            loop {
                let n = if self.db().backend() == "postgres" {
                    self.relay_held(tenant, publisher.clone(), batch).await
                } else {
                    self.relay_unheld(tenant, publisher.as_ref(), batch).await
                };
                match n {
                    Ok(n) => {
                        published += n;
                        if n < batch as usize {
                            break;
                        }
                    }
                    // One tenant's failure (a refused message) does not hold up the others.
                    Err(e) => {
                        tracing::warn!(tenant_id = %tenant, error = ?e, "relaying a tenant's events failed");
                        failed = Some(e);
                        break;
                    }
                }
            }
        }
        match failed {
            Some(e) if published == 0 => Err(e),
            _ => Ok(published),
        }
    }

    async fn relay_held(
        &self,
        tenant: TenantId,
        publisher: Arc<dyn Publisher>,
        batch: u32,
    ) -> Result<usize, AppError> {
        run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move {
                let Some(relayed) = tx.claim_relay().await? else {
                    return Ok(0); // another process is relaying this tenant
                };
                let events = tx
                    .events_after(relayed, batch)
                    .await?
                    .into_iter()
                    .map(|r| Envelope::from_row(tenant, r))
                    .collect::<Result<Vec<_>, _>>()?;
                let Some(last) = events.last().map(|e| e.seq) else {
                    return Ok(0);
                };
                publish(publisher.as_ref(), &events).await?;
                tx.set_relayed(last).await?;
                Ok(events.len())
            })
        })
        .await
    }

    async fn relay_unheld(
        &self,
        tenant: TenantId,
        publisher: &dyn Publisher,
        batch: u32,
    ) -> Result<usize, AppError> {
        let relayed = run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move { tx.claim_relay().await })
        })
        .await?;
        let Some(relayed) = relayed else {
            return Ok(0);
        };
        let events = run_tenant(self.db(), tenant, Mode::Read, move |tx| {
            Box::pin(async move {
                tx.events_after(relayed, batch)
                    .await?
                    .into_iter()
                    .map(|r| Envelope::from_row(tenant, r))
                    .collect::<Result<Vec<_>, AppError>>()
            })
        })
        .await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(0);
        };
        publish(publisher, &events).await?;
        run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move { tx.set_relayed(last).await })
        })
        .await?;
        Ok(events.len())
    }
}

/// How long one batch may take to publish and be confirmed before the relay gives up on it
/// (a broker that accepts connections but blocks publishers, say).
pub const PUBLISH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

async fn publish(publisher: &dyn Publisher, events: &[Envelope]) -> Result<(), AppError> {
    match tokio::time::timeout(PUBLISH_TIMEOUT, publisher.publish(events)).await {
        Ok(r) => r.map_err(AppError::Unavailable),
        Err(_) => Err(AppError::Unavailable(format!(
            "the broker did not take {} event(s) in {} s",
            events.len(),
            PUBLISH_TIMEOUT.as_secs()
        ))),
    }
}

/// Where the relay publishes: a message broker. `publish` returns once the broker has
/// confirmed every event (or fails, and the events wait in the outbox).
#[async_trait]
pub trait Publisher: Send + Sync {
    /// Publishes `events` (one tenant's, in sequence order) and waits for the broker's
    /// confirms.
    ///
    /// # Errors
    /// Why the broker did not take them, in words for the log.
    async fn publish(&self, events: &[Envelope]) -> Result<(), String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_event_needs_what_its_kind_needs() {
        let of = |kind: &str| {
            permission_for(
                "alerts.alert_raised",
                &serde_json::json!({ "kind": kind }).to_string(),
            )
        };
        assert_eq!(of("count_variance"), Permission::CountsApprove);
        assert_eq!(of("supplier_price_up"), Permission::PurchaseOrdersRead);
        assert_eq!(of("below_reorder_point"), Permission::InventoryRead);
        assert_eq!(of("made_up"), Permission::MembersManage);
        assert_eq!(
            permission_for("alerts.notifications_read", "{}"),
            Permission::InventoryRead
        );
        assert_eq!(
            permission_for("counts.count_approved", "{}"),
            Permission::CountsApprove
        );
    }
}
