//! kitchen: stations (a tandoor, the curry range, the pass): the station types each can do,
//! how many tasks it runs at once, whether it takes work; and each station's queue with its
//! load.

use chrono::{DateTime, Utc};
use larder_core::auth::Permission;
use larder_core::kitchen::queue::LOAD_HORIZON_SECS;
use larder_core::kitchen::{Priority, TaskStatus, load_percent};
use larder_core::{Label, LocationId, OrderId, StationId, TaskId};
use larder_store::{Mode, StationRow, run_tenant};
use serde::{Deserialize, Serialize};

use super::engine::remaining_secs;
use super::{CONFLICTS, check_station_type, location_in_scope, stale, station_in_scope};
use crate::events::EventType;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::{App, AppError, Principal};

/// The most stations a location may have.
pub const MAX_STATIONS: usize = 100;
/// The most station types one station may do.
pub const MAX_STATION_TYPES: usize = 10;
/// The largest capacity (parallel tasks) of one station.
pub const MAX_CAPACITY: i64 = 50;

/// A station.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Station {
    /// Id.
    pub id: StationId,
    /// Its location.
    pub location_id: LocationId,
    /// Unique within the location.
    pub name: String,
    /// The station types it does (`tandoor`), sorted.
    pub station_types: Vec<String>,
    /// How many tasks it works on at once, 1 to 50.
    pub capacity: i64,
    /// Whether it takes work.
    pub active: bool,
    /// For `If-Match`.
    pub version: i64,
}

impl From<StationRow> for Station {
    fn from(r: StationRow) -> Self {
        Self {
            id: r.id,
            location_id: r.location_id,
            name: r.name,
            station_types: r.station_types,
            capacity: r.capacity,
            active: r.active,
            version: r.version,
        }
    }
}

/// Create or change a station.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StationCommand {
    /// 1..=100 characters, unique within the location.
    pub name: Label,
    /// The station types it does: 1 to 10 codes of `a-z`, `0-9` and `_`, each 1 to 32 long.
    #[schema(min_items = 1, max_items = 10)]
    pub station_types: Vec<String>,
    /// Parallel tasks, 1 to 50.
    #[schema(minimum = 1, maximum = 50)]
    pub capacity: i64,
    /// Whether it takes work (default true).
    #[serde(default)]
    pub active: Option<bool>,
}

impl StationCommand {
    /// The types checked, sorted and without repeats.
    fn types(&self) -> Result<Vec<String>, AppError> {
        if self.station_types.is_empty() || self.station_types.len() > MAX_STATION_TYPES {
            return Err(AppError::invalid(
                "station_types",
                "give 1 to 10 station types",
            ));
        }
        for (i, t) in self.station_types.iter().enumerate() {
            check_station_type(&format!("station_types[{i}]"), t)?;
        }
        let mut types = self.station_types.clone();
        types.sort();
        types.dedup();
        Ok(types)
    }

    fn capacity(&self) -> Result<i64, AppError> {
        if (1..=MAX_CAPACITY).contains(&self.capacity) {
            Ok(self.capacity)
        } else {
            Err(AppError::invalid("capacity", "must be 1 to 50"))
        }
    }
}

/// A task in a station's queue, as the kitchen display shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QueuedTask {
    /// The task.
    pub task_id: TaskId,
    /// Its order.
    pub order_id: OrderId,
    /// The order's number of the day.
    pub order_number: i64,
    /// The order's priority.
    pub priority: Priority,
    /// What to do ("Bake").
    pub name: String,
    /// The item it is for ("Garlic naan").
    pub item_name: String,
    /// The item's modifiers ("no onion", "extra mozzarella").
    pub modifiers: Vec<String>,
    /// The line's notes.
    pub line_notes: Option<String>,
    /// The order's notes.
    pub order_notes: Option<String>,
    /// Its steps, ticked off or not.
    pub subtasks: Vec<super::orders::Subtask>,
    /// `ready` (queued) or `started`.
    pub status: TaskStatus,
    /// The line's quantity.
    pub quantity: i64,
    /// The estimate for the line, seconds.
    pub estimate_secs: i64,
    /// When it was queued.
    pub queued_at: Option<DateTime<Utc>>,
    /// When it was started.
    pub started_at: Option<DateTime<Utc>>,
    /// When to start it so the order's items reach the pass together.
    pub fire_at: Option<DateTime<Utc>>,
    /// When the customer wants the order.
    pub requested_at: Option<DateTime<Utc>>,
    /// For `If-Match`-free bumps: the task's version.
    pub version: i64,
}

/// A station's queue: what it is working on, then what waits, in queue order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StationQueue {
    /// The station.
    pub station: Station,
    /// Started tasks (oldest start first), then queued ones in queue order (priority,
    /// requested time, order time, task id), those held until a later `fire_at` last.
    pub tasks: Vec<QueuedTask>,
    /// The remaining estimated seconds of those tasks.
    pub assigned_secs: i64,
    /// All-day counts: how many of each item the station has open now (queued or in work),
    /// by item name.
    pub all_day: std::collections::BTreeMap<String, i64>,
    /// Load in whole percent: assigned seconds over 15 minutes of each of its slots (may
    /// exceed 100); `null` for a station without capacity.
    pub load_percent: Option<i64>,
}

impl App {
    /// Adds a station to a location.
    ///
    /// # Errors
    /// 403 without `kitchen.manage`; 404 on the location; 422 on `name`, `station_types`,
    /// `capacity`, or when the location has 100 stations; 409 on `name`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_station(
        &self,
        p: Principal,
        location: LocationId,
        cmd: StationCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Station>, AppError> {
        p.require(Permission::KitchenManage)?;
        let types = cmd.types()?;
        let capacity = cmd.capacity()?;
        let (name, active) = (cmd.name.as_str().to_owned(), cmd.active.unwrap_or(true));
        let q = p;
        run_once(
            self.db(),
            &p,
            key,
            EventType::StationCreated,
            &(location, &cmd),
            move |tx| {
                Box::pin(async move {
                    location_in_scope(tx, &q, location).await?;
                    if tx.list_stations(Some(location)).await?.len() >= MAX_STATIONS {
                        return Err(AppError::invalid(
                            "name",
                            "the location has 100 stations, the most it may have",
                        ));
                    }
                    let now = super::now();
                    let row = StationRow {
                        id: StationId::new(),
                        location_id: location,
                        name,
                        station_types: types,
                        capacity,
                        active,
                        created_at: now,
                        updated_at: now,
                        version: 1,
                    };
                    tx.insert_station(&row).await?;
                    Ok(Station::from(row))
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// A location's stations by name.
    ///
    /// # Errors
    /// 403 without `kitchen.read`; 404 on the location.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_stations(
        &self,
        p: Principal,
        location: LocationId,
    ) -> Result<Vec<Station>, AppError> {
        p.require(Permission::KitchenRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                location_in_scope(tx, &p, location).await?;
                Ok(tx
                    .list_stations(Some(location))
                    .await?
                    .into_iter()
                    .map(Station::from)
                    .collect())
            })
        })
        .await
    }

    /// One station.
    ///
    /// # Errors
    /// 403 without `kitchen.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_station(&self, p: Principal, id: StationId) -> Result<Station, AppError> {
        p.require(Permission::KitchenRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { Ok(Station::from(station_in_scope(tx, &p, id).await?)) })
        })
        .await
    }

    /// Changes a station when `if_match` is its version. Tasks already queued at it stay
    /// there; a station switched off takes no new work.
    ///
    /// # Errors
    /// 403 without `kitchen.manage`; 404; 422 as creating; 409 on `name`; 412 when stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_station(
        &self,
        p: Principal,
        id: StationId,
        cmd: StationCommand,
        if_match: Option<i64>,
    ) -> Result<Station, AppError> {
        p.require(Permission::KitchenManage)?;
        let types = cmd.types()?;
        let capacity = cmd.capacity()?;
        crate::events::write(self.db(), &p, EventType::StationUpdated, move |tx| {
            Box::pin(async move {
                let current = station_in_scope(tx, &p, id).await?;
                if if_match.is_some_and(|v| v != current.version) {
                    return Err(AppError::PreconditionFailed("station"));
                }
                let row = StationRow {
                    name: cmd.name.as_str().to_owned(),
                    station_types: types,
                    capacity,
                    active: cmd.active.unwrap_or(current.active),
                    updated_at: super::now(),
                    version: current.version + 1,
                    ..current
                };
                tx.update_station(&row)
                    .await
                    .map_err(stale("stations", "station"))?;
                Ok(Station::from(row))
            })
        })
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// A station's queue: its started tasks, then its queued ones in queue order, with its
    /// load.
    ///
    /// # Errors
    /// 403 without `kitchen.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn station_queue(
        &self,
        p: Principal,
        id: StationId,
    ) -> Result<StationQueue, AppError> {
        p.require(Permission::KitchenRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let station = station_in_scope(tx, &p, id).await?;
                let open = tx.open_kitchen_tasks(station.location_id).await?;
                let now = super::now();
                let mut started = Vec::new();
                let mut queued = Vec::new();
                let mut assigned_secs = 0i64;
                let mut all_day = std::collections::BTreeMap::new();
                // Each order's lines and notes, read once per order at this station.
                let mut orders: std::collections::HashMap<
                    OrderId,
                    (Option<String>, Vec<larder_store::KitchenOrderLineRow>),
                > = std::collections::HashMap::new();
                for o in open {
                    let t = &o.task;
                    if t.station_id != Some(id) || !t.status.is_open() {
                        continue;
                    }
                    if let std::collections::hash_map::Entry::Vacant(slot) =
                        orders.entry(t.order_id)
                    {
                        let notes = tx
                            .get_kitchen_order(t.order_id)
                            .await?
                            .and_then(|order| order.notes);
                        let lines = tx.kitchen_order_lines(t.order_id).await?;
                        slot.insert((notes, lines));
                    }
                    let (order_notes, lines) = &orders[&t.order_id];
                    let line = lines.iter().find(|l| l.id == t.line_id);
                    let item_name = line.map_or_else(String::new, |l| l.item_name.clone());
                    *all_day.entry(item_name.clone()).or_insert(0i64) += t.quantity;
                    assigned_secs = assigned_secs.saturating_add(remaining_secs(t, now));
                    let q = QueuedTask {
                        item_name,
                        modifiers: match line {
                            Some(l) => serde_json::from_str(&l.modifiers)
                                .map_err(|e| AppError::Internal(format!("line {}: {e}", l.id)))?,
                            None => Vec::new(),
                        },
                        line_notes: line.and_then(|l| l.notes.clone()),
                        order_notes: order_notes.clone(),
                        subtasks: serde_json::from_str(&t.subtasks)
                            .map_err(|e| AppError::Internal(format!("task {}: {e}", t.id)))?,
                        task_id: t.id,
                        order_id: t.order_id,
                        order_number: o.order_number,
                        priority: o.priority,
                        name: t.name.clone(),
                        status: t.status,
                        quantity: t.quantity,
                        estimate_secs: t.estimate_secs,
                        queued_at: t.queued_at,
                        started_at: t.started_at,
                        fire_at: t.fire_at,
                        requested_at: o.requested_at,
                        version: t.version,
                    };
                    if t.status == TaskStatus::Started {
                        started.push(q);
                    } else {
                        queued.push(q);
                    }
                }
                started.sort_by(|a, b| {
                    a.started_at
                        .cmp(&b.started_at)
                        .then(a.task_id.cmp(&b.task_id))
                });
                let capacity = u32::try_from(station.capacity).unwrap_or(0);
                // A held item (fired later so an order's items reach the pass together) waits
                // behind what may start now, in queue order otherwise.
                let (held, now_due): (Vec<QueuedTask>, Vec<QueuedTask>) = queued
                    .into_iter()
                    .partition(|q| q.fire_at.is_some_and(|f| f > now));
                started.extend(now_due);
                started.extend(held);
                Ok(StationQueue {
                    all_day,
                    load_percent: load_percent(assigned_secs, capacity, LOAD_HORIZON_SECS),
                    station: Station::from(station),
                    tasks: started,
                    assigned_secs,
                })
            })
        })
        .await
    }
}
