//! The kitchen port (issue 11; ADR 030 and 031): stations, versioned workflow templates,
//! customer orders with their lines and task instances, every task state change (the task
//! log), the samples learned durations are made of, deliveries and shifts.
//!
//! Durations are whole seconds; money is millionths of the tenant's currency; instants are
//! UTC. Statuses, channels and priorities are `larder_core::kitchen`'s enums, stored by their
//! wire names. Optimistic concurrency: an `update_*` method writes the row whose `version` is
//! one less than the row's it is given, and answers [`StoreError::Conflict`] with
//! `<table>_version` when the stored version differs, [`StoreError::NotFound`] when there is no
//! such row in the tenant.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use larder_core::kitchen::{Channel, DeliveryStatus, OrderStatus, Priority, TaskStatus};
use larder_core::{
    DeliveryId, LocationId, MenuItemId, Money, OrderId, OrderLineId, StationId, TaskId, UserId,
    WorkflowTemplateId,
};
use uuid::Uuid;

use crate::StoreError;

/// A station of a location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StationRow {
    /// UUIDv7.
    pub id: StationId,
    /// Where it is.
    pub location_id: LocationId,
    /// Unique per location.
    pub name: String,
    /// The station types it can do (codes such as `tandoor`), at least one, sorted.
    pub station_types: Vec<String>,
    /// How many tasks it runs at once, 1 to 50.
    pub capacity: i64,
    /// It takes work.
    pub active: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic concurrency, from 1.
    pub version: i64,
}

/// A workflow template: for one menu item or for one menu category; its phases are in its
/// versions ([`WorkflowTemplateVersionRow`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowTemplateRow {
    /// UUIDv7.
    pub id: WorkflowTemplateId,
    /// Unique in the tenant.
    pub name: String,
    /// The menu item it is for (exactly one of this and `category`).
    pub menu_item_id: Option<MenuItemId>,
    /// The menu category it is for.
    pub category: Option<String>,
    /// The version new orders use.
    pub current_version: i64,
    /// Used for new orders; at most one active template per menu item and per category.
    pub active: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic concurrency, from 1; moved by every change.
    pub version: i64,
}

/// One version of a template's phases, appended and never changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowTemplateVersionRow {
    /// The template.
    pub template_id: WorkflowTemplateId,
    /// From 1.
    pub version: i64,
    /// `larder_core::kitchen::WorkflowTemplate`'s phases, JSON.
    pub phases: String,
    /// Who wrote it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A customer order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KitchenOrderRow {
    /// UUIDv7.
    pub id: OrderId,
    /// The kitchen it is made in.
    pub location_id: LocationId,
    /// The business day it was taken on (the tenant's day cutoff applied).
    pub business_date: NaiveDate,
    /// The human number, from 1 per location and business day.
    pub number: i64,
    /// Where it came from.
    pub channel: Channel,
    /// Where it is.
    pub status: OrderStatus,
    /// How urgent.
    pub priority: Priority,
    /// The customer's name.
    pub customer_name: Option<String>,
    /// Their phone number.
    pub customer_phone: Option<String>,
    /// Where it goes.
    pub customer_address: Option<String>,
    /// Notes for the kitchen.
    pub notes: Option<String>,
    /// When the customer wants it.
    pub requested_at: Option<DateTime<Utc>>,
    /// The ready time quoted at creation (what ETA accuracy is measured against).
    pub predicted_ready_at: Option<DateTime<Utc>>,
    /// The latest ready time estimated.
    pub eta_at: Option<DateTime<Utc>>,
    /// When its first task started.
    pub started_at: Option<DateTime<Utc>>,
    /// When its last task was done.
    pub ready_at: Option<DateTime<Utc>>,
    /// When it reached the customer.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why.
    pub cancel_reason: Option<String>,
    /// Who took it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic concurrency, from 1.
    pub version: i64,
}

/// An item of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KitchenOrderLineRow {
    /// UUIDv7.
    pub id: OrderLineId,
    /// Its order.
    pub order_id: OrderId,
    /// From 1 within the order.
    pub line_no: i64,
    /// What.
    pub menu_item_id: MenuItemId,
    /// The menu item's name when ordered.
    pub item_name: String,
    /// How many, 1 to 999.
    pub quantity: i64,
    /// Price of one, millionths of the currency.
    pub unit_price: Money,
    /// Modifiers ("no onion"), JSON array of strings.
    pub modifiers: String,
    /// Notes.
    pub notes: Option<String>,
    /// The template its tasks came from (none: the item has no workflow).
    pub template_id: Option<WorkflowTemplateId>,
    /// That template's version.
    pub template_version: Option<i64>,
}

/// A task instance of an order line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KitchenTaskRow {
    /// UUIDv7.
    pub id: TaskId,
    /// Its order.
    pub order_id: OrderId,
    /// Its line.
    pub line_id: OrderLineId,
    /// Its template task's key.
    pub task_key: String,
    /// Its name.
    pub name: String,
    /// The phase's index, from 0.
    pub phase: i64,
    /// The station type that does it.
    pub station_type: String,
    /// The line's quantity.
    pub quantity: i64,
    /// The template's estimate for one unit, seconds.
    pub unit_estimate_secs: i64,
    /// The estimate for the line, seconds.
    pub estimate_secs: i64,
    /// The tasks it waits for.
    pub depends_on: Vec<TaskId>,
    /// Its subtasks with whether each is done, JSON.
    pub subtasks: String,
    /// Where it is.
    pub status: TaskStatus,
    /// The station it is queued at (from `ready` on).
    pub station_id: Option<StationId>,
    /// When to start it so the order's items reach the pass together.
    pub fire_at: Option<DateTime<Utc>>,
    /// When it became ready.
    pub queued_at: Option<DateTime<Utc>>,
    /// When it was started (the latest start, after an un-start or a recall).
    pub started_at: Option<DateTime<Utc>>,
    /// When it was done.
    pub done_at: Option<DateTime<Utc>>,
    /// Who started it.
    pub started_by: Option<UserId>,
    /// Who finished it.
    pub done_by: Option<UserId>,
    /// Why it is blocked.
    pub blocked_reason: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic concurrency, from 1.
    pub version: i64,
}

/// An open task (waiting, ready, started or blocked) with what its order says about it: what
/// queues, loads, ETAs and the kitchen display read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenTaskRow {
    /// The task.
    pub task: KitchenTaskRow,
    /// Its order's number.
    pub order_number: i64,
    /// Its order's priority.
    pub priority: Priority,
    /// Its order's requested time.
    pub requested_at: Option<DateTime<Utc>>,
    /// When its order was taken.
    pub order_created_at: DateTime<Utc>,
    /// Its line's template (for learned durations).
    pub template_id: Option<WorkflowTemplateId>,
}

/// A task state change, appended and never changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KitchenTaskLogRow {
    /// UUIDv7 (the log's order).
    pub id: Uuid,
    /// The task.
    pub task_id: TaskId,
    /// Its order.
    pub order_id: OrderId,
    /// Its order's location.
    pub location_id: LocationId,
    /// Its station at the change.
    pub station_id: Option<StationId>,
    /// From.
    pub from_status: TaskStatus,
    /// To.
    pub to_status: TaskStatus,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (none: the kitchen engine).
    pub actor: Option<UserId>,
}

/// Which task log entries to read: `at` in `[from, to)`, after a cursor, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KitchenTaskLogFilter {
    /// From (inclusive).
    pub from: DateTime<Utc>,
    /// To (exclusive).
    pub to: DateTime<Utc>,
    /// Only this location's.
    pub location_id: Option<LocationId>,
    /// Entries after this one (in `(at, id)` order).
    pub after: Option<(DateTime<Utc>, Uuid)>,
    /// At most this many.
    pub limit: u32,
}

/// A finished task's duration for one unit: a sample of its learned duration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskDurationRow {
    /// The task (one sample per task: a recalled task's second completion keeps the first).
    pub task_id: TaskId,
    /// Its template.
    pub template_id: WorkflowTemplateId,
    /// Its template task's key.
    pub task_key: String,
    /// Where it was done.
    pub station_id: StationId,
    /// Seconds per unit, 0 to a day.
    pub per_unit_secs: i64,
    /// When it was done.
    pub done_at: DateTime<Utc>,
}

/// Which orders to list: newest first, after a cursor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KitchenOrderFilter {
    /// Only this location's.
    pub location_id: Option<LocationId>,
    /// Only these statuses (empty: any).
    pub statuses: Vec<OrderStatus>,
    /// Only this business day's.
    pub business_date: Option<NaiveDate>,
    /// Orders before this id.
    pub before: Option<OrderId>,
    /// At most this many.
    pub limit: u32,
}

/// A delivery of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderDeliveryRow {
    /// UUIDv7.
    pub id: DeliveryId,
    /// The order.
    pub order_id: OrderId,
    /// The rider (a member with the delivery role).
    pub rider_id: UserId,
    /// Where it is.
    pub status: DeliveryStatus,
    /// When the rider was assigned.
    pub assigned_at: DateTime<Utc>,
    /// When they took it from the pass.
    pub picked_up_at: Option<DateTime<Utc>>,
    /// When it reached the customer.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When it failed.
    pub failed_at: Option<DateTime<Utc>>,
    /// Why.
    pub failure_reason: Option<String>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Optimistic concurrency, from 1.
    pub version: i64,
}

/// A shift: a member at a station from `starts_at` to `ends_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShiftRow {
    /// UUIDv7.
    pub id: Uuid,
    /// Where.
    pub location_id: LocationId,
    /// At which station.
    pub station_id: StationId,
    /// Who.
    pub user_id: UserId,
    /// From.
    pub starts_at: DateTime<Utc>,
    /// Until (after `starts_at`).
    pub ends_at: DateTime<Utc>,
    /// When it was planned.
    pub created_at: DateTime<Utc>,
}

/// The kitchen's storage operations, bound to the transaction's tenant.
#[async_trait]
pub trait KitchenTx: Send {
    /// Adds a station.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] on `stations_name` (a station of that name at the location).
    async fn insert_station(&mut self, s: &StationRow) -> Result<(), StoreError>;

    /// The station, if it is the tenant's.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be read.
    async fn get_station(&mut self, id: StationId) -> Result<Option<StationRow>, StoreError>;

    /// The tenant's stations (one location's, or all), by location then name; at most 500.
    ///
    /// # Errors
    /// [`StoreError`] when they cannot be read.
    async fn list_stations(
        &mut self,
        location: Option<LocationId>,
    ) -> Result<Vec<StationRow>, StoreError>;

    /// Writes a station's name, types, capacity and active flag (optimistic, see the module).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] on `stations_version` or `stations_name`;
    /// [`StoreError::NotFound`].
    async fn update_station(&mut self, s: &StationRow) -> Result<(), StoreError>;

    /// Adds a template with its first version.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] on `workflow_templates_name`, `workflow_templates_menu_item_id`
    /// or `workflow_templates_category` (another active template for it).
    async fn insert_workflow_template(
        &mut self,
        t: &WorkflowTemplateRow,
        first: &WorkflowTemplateVersionRow,
    ) -> Result<(), StoreError>;

    /// The template, if it is the tenant's.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be read.
    async fn get_workflow_template(
        &mut self,
        id: WorkflowTemplateId,
    ) -> Result<Option<WorkflowTemplateRow>, StoreError>;

    /// The tenant's templates by name; at most 500.
    ///
    /// # Errors
    /// [`StoreError`] when they cannot be read.
    async fn list_workflow_templates(&mut self) -> Result<Vec<WorkflowTemplateRow>, StoreError>;

    /// One version of a template.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be read.
    async fn workflow_template_version(
        &mut self,
        id: WorkflowTemplateId,
        version: i64,
    ) -> Result<Option<WorkflowTemplateVersionRow>, StoreError>;

    /// Writes a template's name, target and active flag (optimistic, see the module), and
    /// appends `new_version` (whose number must be the row's `current_version`) if given.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] on `workflow_templates_version`, or a name or target taken;
    /// [`StoreError::NotFound`]; [`StoreError::Other`] when `new_version` is not the row's
    /// template at its `current_version`.
    async fn update_workflow_template(
        &mut self,
        t: &WorkflowTemplateRow,
        new_version: Option<&WorkflowTemplateVersionRow>,
    ) -> Result<(), StoreError>;

    /// The active template a new line of `menu_item` uses: the item's own, else its
    /// `category`'s.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be read.
    async fn active_workflow_template(
        &mut self,
        menu_item: MenuItemId,
        category: Option<&str>,
    ) -> Result<Option<WorkflowTemplateRow>, StoreError>;

    /// The next order number of `location` on `business_date`, from 1: taken by this
    /// transaction (a rolled-back order leaves its number unused).
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be written.
    async fn next_kitchen_order_number(
        &mut self,
        location: LocationId,
        business_date: NaiveDate,
    ) -> Result<i64, StoreError>;

    /// Adds an order with its lines and tasks.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] on `kitchen_orders_number` or `kitchen_order_lines_line_no`;
    /// [`StoreError::Conflict`] on `foreign_key` for a menu item, template version or
    /// station that is not the tenant's (the use case checks them first, to answer 404).
    async fn insert_kitchen_order(
        &mut self,
        order: &KitchenOrderRow,
        lines: &[KitchenOrderLineRow],
        tasks: &[KitchenTaskRow],
    ) -> Result<(), StoreError>;

    /// The order, if it is the tenant's.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be read.
    async fn get_kitchen_order(
        &mut self,
        id: OrderId,
    ) -> Result<Option<KitchenOrderRow>, StoreError>;

    /// An order's lines by number.
    ///
    /// # Errors
    /// [`StoreError`] when they cannot be read.
    async fn kitchen_order_lines(
        &mut self,
        order: OrderId,
    ) -> Result<Vec<KitchenOrderLineRow>, StoreError>;

    /// An order's tasks by line, phase, then id.
    ///
    /// # Errors
    /// [`StoreError`] when they cannot be read.
    async fn kitchen_order_tasks(
        &mut self,
        order: OrderId,
    ) -> Result<Vec<KitchenTaskRow>, StoreError>;

    /// Orders matching `filter`, newest first.
    ///
    /// # Errors
    /// [`StoreError`] when they cannot be read.
    async fn list_kitchen_orders(
        &mut self,
        filter: &KitchenOrderFilter,
    ) -> Result<Vec<KitchenOrderRow>, StoreError>;

    /// Orders made ready in `[from, to)` (for prep times and ETA accuracy), by ready time; at
    /// most 10 000.
    ///
    /// # Errors
    /// [`StoreError`] when they cannot be read.
    async fn kitchen_orders_ready_between(
        &mut self,
        location: Option<LocationId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<KitchenOrderRow>, StoreError>;

    /// Writes an order's status, customer fields, notes, priority, requested and tracked
    /// times (optimistic, see the module); `predicted_ready_at`, the quote at creation, is
    /// never rewritten.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] on `kitchen_orders_version`; [`StoreError::NotFound`].
    async fn update_kitchen_order(&mut self, o: &KitchenOrderRow) -> Result<(), StoreError>;

    /// The task, if it is the tenant's.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be read.
    async fn get_kitchen_task(&mut self, id: TaskId) -> Result<Option<KitchenTaskRow>, StoreError>;

    /// Writes a task's state, station, times, people, subtasks and fire time (optimistic, see
    /// the module).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] on `kitchen_tasks_version`; [`StoreError::NotFound`].
    async fn update_kitchen_task(&mut self, t: &KitchenTaskRow) -> Result<(), StoreError>;

    /// The open tasks (waiting, ready, started, blocked) of a location's orders, in queue
    /// order (`larder_core::kitchen::queue`'s: priority, requested time, order time, id); at
    /// most 10 000.
    ///
    /// # Errors
    /// [`StoreError`] when they cannot be read.
    async fn open_kitchen_tasks(
        &mut self,
        location: LocationId,
    ) -> Result<Vec<OpenTaskRow>, StoreError>;

    /// Appends task state changes.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] on `foreign_key` for a task, order, location or station that
    /// is not the tenant's.
    async fn insert_kitchen_task_log(
        &mut self,
        entries: &[KitchenTaskLogRow],
    ) -> Result<(), StoreError>;

    /// Task state changes matching `filter`, oldest first.
    ///
    /// # Errors
    /// [`StoreError`] when they cannot be read.
    async fn kitchen_task_log(
        &mut self,
        filter: &KitchenTaskLogFilter,
    ) -> Result<Vec<KitchenTaskLogRow>, StoreError>;

    /// Records a task's duration sample; a second sample of the same task is ignored (a
    /// recalled and re-bumped task counts once). Whether it was recorded.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] on `foreign_key` for a task, template or station that is not
    /// the tenant's.
    async fn insert_task_duration(&mut self, d: &TaskDurationRow) -> Result<bool, StoreError>;

    /// The latest `limit` per-unit durations of a template task at a station, newest first.
    ///
    /// # Errors
    /// [`StoreError`] when they cannot be read.
    async fn recent_task_durations(
        &mut self,
        template: WorkflowTemplateId,
        task_key: &str,
        station: StationId,
        limit: u32,
    ) -> Result<Vec<i64>, StoreError>;

    /// Adds a delivery.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] on `deliveries_order_id` (the order has a delivery not
    /// failed), or on `foreign_key` for an order or rider unknown here.
    async fn insert_order_delivery(&mut self, d: &OrderDeliveryRow) -> Result<(), StoreError>;

    /// The delivery, if it is the tenant's.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be read.
    async fn get_order_delivery(
        &mut self,
        id: DeliveryId,
    ) -> Result<Option<OrderDeliveryRow>, StoreError>;

    /// Writes a delivery's status, times and failure reason (optimistic, see the module).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] on `deliveries_version`; [`StoreError::NotFound`].
    async fn update_order_delivery(&mut self, d: &OrderDeliveryRow) -> Result<(), StoreError>;

    /// Deliveries of one order or one rider (or all), newest first; at most 500; with
    /// `open_only`, those assigned or picked up.
    ///
    /// # Errors
    /// [`StoreError`] when they cannot be read.
    async fn list_order_deliveries(
        &mut self,
        order: Option<OrderId>,
        rider: Option<UserId>,
        open_only: bool,
    ) -> Result<Vec<OrderDeliveryRow>, StoreError>;

    /// Adds a shift.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] on `foreign_key` for a location, station or member unknown
    /// here; [`StoreError`] when it ends before it starts (the use case checks it first, to
    /// answer 422 naming the field).
    async fn insert_shift(&mut self, s: &ShiftRow) -> Result<(), StoreError>;

    /// Removes a shift; whether there was one.
    ///
    /// # Errors
    /// [`StoreError`] when it cannot be written.
    async fn delete_shift(&mut self, id: Uuid) -> Result<bool, StoreError>;

    /// The shifts of a location that overlap `[from, to)`, by start then id; at most 2 000.
    ///
    /// # Errors
    /// [`StoreError`] when they cannot be read.
    async fn list_shifts(
        &mut self,
        location: LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ShiftRow>, StoreError>;
}
