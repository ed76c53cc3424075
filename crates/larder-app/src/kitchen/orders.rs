//! kitchen: customer orders. Taking one numbers it for its location and business day, copies
//! each line's workflow template (the version current now) into task instances, fires the
//! lines so they reach the pass together, queues the tasks that can start at stations and
//! quotes the ready time (ADR 030 and 032).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use larder_core::auth::Permission;
use larder_core::kitchen::orders::cancelled_tasks;
use larder_core::kitchen::workflow::{MAX_QUANTITY, OrderLine as CoreLine, instantiate};
use larder_core::kitchen::{
    Channel, EtaError, OrderStatus, Priority, TaskStatus, WorkflowTemplate, fire_plan,
};
use larder_core::{
    Label, LocationId, MenuItemId, Money, Name, Note, OrderId, OrderLineId, StationId, TaskId,
    WorkflowTemplateId,
};
use larder_store::{
    KitchenOrderFilter, KitchenOrderLineRow, KitchenOrderRow, KitchenTaskLogRow, KitchenTaskRow,
    Mode, TenantTx, run_tenant,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::engine::{Kitchen, planned, queue_at};
use super::templates::parse_phases;
use super::{location_in_scope, order_in_scope, stale};
use crate::events::EventType;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::{App, AppError, Page, Principal};

/// The most lines of one order.
pub const MAX_LINES: usize = 100;
/// The most modifiers of one line.
pub const MAX_MODIFIERS: usize = 20;
/// The most kitchen tasks one order may make (its lines' templates' tasks together): what
/// keeps one order's scheduling, on every bump, to milliseconds.
pub const MAX_ORDER_TASKS: usize = 300;

/// An item of an order to take.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLineCommand {
    /// What (a menu item of the tenant).
    pub menu_item_id: MenuItemId,
    /// How many, 1 to 999.
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i64,
    /// Price of one; default the menu item's price (required when it has none).
    #[serde(default)]
    pub unit_price: Option<Money>,
    /// Modifiers ("no onion", "extra mozzarella"), at most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub modifiers: Vec<Label>,
    /// Notes for the kitchen.
    #[serde(default)]
    pub notes: Option<Note>,
}

/// An order to take.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderCommand {
    /// Where it came from.
    pub channel: Channel,
    /// Default `normal`.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// The customer's name.
    #[serde(default)]
    pub customer_name: Option<Name>,
    /// Their phone number.
    #[serde(default)]
    pub customer_phone: Option<Label>,
    /// Where it goes (a delivery).
    #[serde(default)]
    pub customer_address: Option<Note>,
    /// Notes for the kitchen.
    #[serde(default)]
    pub notes: Option<Note>,
    /// When the customer wants it (RFC 3339).
    #[serde(default)]
    pub requested_at: Option<DateTime<Utc>>,
    /// Its items, 1 to 100.
    #[schema(min_items = 1, max_items = 100)]
    pub lines: Vec<OrderLineCommand>,
}

/// Change an order's customer details, notes, priority or requested time (`If-Match`).
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderUpdateCommand {
    /// How urgent.
    pub priority: Priority,
    /// The customer's name.
    #[serde(default)]
    pub customer_name: Option<Name>,
    /// Their phone number.
    #[serde(default)]
    pub customer_phone: Option<Label>,
    /// Where it goes.
    #[serde(default)]
    pub customer_address: Option<Note>,
    /// Notes for the kitchen.
    #[serde(default)]
    pub notes: Option<Note>,
    /// When the customer wants it.
    #[serde(default)]
    pub requested_at: Option<DateTime<Utc>>,
}

/// Cancel an order.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelOrderCommand {
    /// Why ("customer called back"), 1..=100 characters.
    pub reason: Label,
}

/// A step of a task, ticked off or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Subtask {
    /// What to do.
    pub name: String,
    /// Whether the task may be completed without it.
    pub optional: bool,
    /// Ticked off.
    #[serde(default)]
    pub done: bool,
}

/// A task of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Task {
    /// Id.
    pub id: TaskId,
    /// Its order.
    pub order_id: OrderId,
    /// Its line.
    pub line_id: OrderLineId,
    /// Its template task's key.
    pub task_key: String,
    /// What to do.
    pub name: String,
    /// Its phase's index, from 0.
    pub phase: i64,
    /// The station type that does it.
    pub station_type: String,
    /// The station it is queued at (from `ready` on).
    pub station_id: Option<StationId>,
    /// The line's quantity.
    pub quantity: i64,
    /// The estimate for the line, seconds.
    pub estimate_secs: i64,
    /// The tasks it waits for.
    pub depends_on: Vec<TaskId>,
    /// Its steps.
    pub subtasks: Vec<Subtask>,
    /// Where it is.
    pub status: TaskStatus,
    /// When to start it so the order's items reach the pass together (a held item).
    pub fire_at: Option<DateTime<Utc>>,
    /// When it was queued.
    pub queued_at: Option<DateTime<Utc>>,
    /// When it was (last) started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was done.
    pub done_at: Option<DateTime<Utc>>,
    /// Why it is blocked.
    pub blocked_reason: Option<String>,
    /// Optimistic concurrency.
    pub version: i64,
}

impl TryFrom<&KitchenTaskRow> for Task {
    type Error = AppError;
    fn try_from(t: &KitchenTaskRow) -> Result<Self, AppError> {
        Ok(Self {
            id: t.id,
            order_id: t.order_id,
            line_id: t.line_id,
            task_key: t.task_key.clone(),
            name: t.name.clone(),
            phase: t.phase,
            station_type: t.station_type.clone(),
            station_id: t.station_id,
            quantity: t.quantity,
            estimate_secs: t.estimate_secs,
            depends_on: t.depends_on.clone(),
            subtasks: serde_json::from_str(&t.subtasks)
                .map_err(|e| AppError::Internal(format!("task {}: {e}", t.id)))?,
            status: t.status,
            fire_at: t.fire_at,
            queued_at: t.queued_at,
            started_at: t.started_at,
            done_at: t.done_at,
            blocked_reason: t.blocked_reason.clone(),
            version: t.version,
        })
    }
}

/// An item of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderLine {
    /// Id.
    pub id: OrderLineId,
    /// From 1.
    pub line_no: i64,
    /// What.
    pub menu_item_id: MenuItemId,
    /// Its name when ordered.
    pub item_name: String,
    /// How many.
    pub quantity: i64,
    /// Price of one.
    pub unit_price: Money,
    /// Modifiers.
    pub modifiers: Vec<String>,
    /// Notes.
    pub notes: Option<String>,
    /// The workflow template its tasks came from (none: the item has no workflow).
    pub template_id: Option<WorkflowTemplateId>,
    /// That template's version.
    pub template_version: Option<i64>,
}

/// A customer order with its lines and tasks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Order {
    /// Id.
    pub id: OrderId,
    /// The kitchen it is made in.
    pub location_id: LocationId,
    /// The business day it was taken on.
    pub business_date: NaiveDate,
    /// The number of the day at the location, from 1.
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
    /// The ready time quoted when it was taken (ETA accuracy is measured against it);
    /// `null` when no ETA could be made then.
    pub predicted_ready_at: Option<DateTime<Utc>>,
    /// The latest estimated ready time.
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
    /// When it was taken.
    pub created_at: DateTime<Utc>,
    /// For `If-Match`.
    pub version: i64,
    /// Its lines.
    pub lines: Vec<OrderLine>,
    /// Its tasks, by line, phase and id.
    pub tasks: Vec<Task>,
    /// Why there is no ETA now (no station with staff does a task's type), if so.
    pub eta_problem: Option<String>,
}

/// An order in a list (without lines and tasks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderSummary {
    /// Id.
    pub id: OrderId,
    /// The kitchen.
    pub location_id: LocationId,
    /// Business day.
    pub business_date: NaiveDate,
    /// Number of the day.
    pub number: i64,
    /// Channel.
    pub channel: Channel,
    /// Status.
    pub status: OrderStatus,
    /// Priority.
    pub priority: Priority,
    /// Customer's name.
    pub customer_name: Option<String>,
    /// Requested time.
    pub requested_at: Option<DateTime<Utc>>,
    /// Quoted at creation.
    pub predicted_ready_at: Option<DateTime<Utc>>,
    /// Latest estimate.
    pub eta_at: Option<DateTime<Utc>>,
    /// Made ready.
    pub ready_at: Option<DateTime<Utc>>,
    /// Taken.
    pub created_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

impl From<KitchenOrderRow> for OrderSummary {
    fn from(o: KitchenOrderRow) -> Self {
        Self {
            id: o.id,
            location_id: o.location_id,
            business_date: o.business_date,
            number: o.number,
            channel: o.channel,
            status: o.status,
            priority: o.priority,
            customer_name: o.customer_name,
            requested_at: o.requested_at,
            predicted_ready_at: o.predicted_ready_at,
            eta_at: o.eta_at,
            ready_at: o.ready_at,
            created_at: o.created_at,
            version: o.version,
        }
    }
}

/// The query of an order list.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    /// Only orders in this status.
    pub status: Option<OrderStatus>,
    /// Only this business day's (`YYYY-MM-DD`).
    pub business_date: Option<NaiveDate>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// The `kitchen.order_eta_recalculated` event's data.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct EtaRecalculated<'a> {
    /// The order (the audit record's target).
    pub id: OrderId,
    pub order_id: OrderId,
    pub location_id: LocationId,
    pub eta_at: Option<DateTime<Utc>>,
    pub predicted_ready_at: Option<DateTime<Utc>>,
    pub breakdown: Option<&'a larder_core::kitchen::Eta>,
    pub problem: Option<String>,
}

pub(crate) fn eta_problem(e: &EtaError, tasks: &[KitchenTaskRow]) -> String {
    match e {
        EtaError::NoStation { task, station_type } => {
            let name = tasks
                .iter()
                .find(|t| t.id == *task)
                .map_or_else(|| task.to_string(), |t| t.name.clone());
            format!("no active station with staff does '{station_type}' (task '{name}')")
        }
        EtaError::Graph(g) => g.to_string(),
    }
}

/// Reads an order with its lines and tasks as the API answers it.
pub(crate) async fn order_view(
    tx: &mut dyn TenantTx,
    o: KitchenOrderRow,
    eta_problem: Option<String>,
) -> Result<Order, AppError> {
    let lines = tx.kitchen_order_lines(o.id).await?;
    let tasks = tx.kitchen_order_tasks(o.id).await?;
    assemble(o, &lines, &tasks, eta_problem)
}

fn assemble(
    o: KitchenOrderRow,
    lines: &[KitchenOrderLineRow],
    tasks: &[KitchenTaskRow],
    eta_problem: Option<String>,
) -> Result<Order, AppError> {
    let lines = lines
        .iter()
        .map(|l| {
            Ok(OrderLine {
                id: l.id,
                line_no: l.line_no,
                menu_item_id: l.menu_item_id,
                item_name: l.item_name.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                modifiers: serde_json::from_str(&l.modifiers)
                    .map_err(|e| AppError::Internal(format!("line {}: {e}", l.id)))?,
                notes: l.notes.clone(),
                template_id: l.template_id,
                template_version: l.template_version,
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let tasks = tasks
        .iter()
        .map(Task::try_from)
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Order {
        id: o.id,
        location_id: o.location_id,
        business_date: o.business_date,
        number: o.number,
        channel: o.channel,
        status: o.status,
        priority: o.priority,
        customer_name: o.customer_name,
        customer_phone: o.customer_phone,
        customer_address: o.customer_address,
        notes: o.notes,
        requested_at: o.requested_at,
        predicted_ready_at: o.predicted_ready_at,
        eta_at: o.eta_at,
        started_at: o.started_at,
        ready_at: o.ready_at,
        delivered_at: o.delivered_at,
        cancelled_at: o.cancelled_at,
        cancel_reason: o.cancel_reason,
        created_at: o.created_at,
        version: o.version,
        lines,
        tasks,
        eta_problem,
    })
}

/// One log entry of a task's move.
pub(crate) fn log_entry(
    t: &KitchenTaskRow,
    location: LocationId,
    from: TaskStatus,
    at: DateTime<Utc>,
    actor: Option<larder_core::UserId>,
) -> KitchenTaskLogRow {
    KitchenTaskLogRow {
        id: Uuid::now_v7(),
        task_id: t.id,
        order_id: t.order_id,
        location_id: location,
        station_id: t.station_id,
        from_status: from,
        to_status: t.status,
        at,
        actor,
    }
}

/// Each line's template, for learned durations.
pub(crate) fn templates_of(
    lines: &[KitchenOrderLineRow],
) -> HashMap<OrderLineId, WorkflowTemplateId> {
    lines
        .iter()
        .filter_map(|l| l.template_id.map(|t| (l.id, t)))
        .collect()
}

fn check_lines(cmd: &OrderCommand) -> Result<(), AppError> {
    if cmd.lines.is_empty() || cmd.lines.len() > MAX_LINES {
        return Err(AppError::invalid("lines", "give 1 to 100 lines"));
    }
    for (i, l) in cmd.lines.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&l.quantity) {
            return Err(AppError::invalid(
                format!("lines[{i}].quantity"),
                "must be 1 to 999",
            ));
        }
        if l.modifiers.len() > MAX_MODIFIERS {
            return Err(AppError::invalid(
                format!("lines[{i}].modifiers"),
                "at most 20 modifiers",
            ));
        }
        if l.unit_price.is_some_and(|p| p.is_negative()) {
            return Err(AppError::invalid(
                format!("lines[{i}].unit_price"),
                "must not be negative",
            ));
        }
    }
    Ok(())
}

/// Takes an order in `tx` at `now` (module doc): what [`App::create_order`] runs, and the demo
/// replay with simulated time.
pub(crate) async fn take_order(
    tx: &mut dyn TenantTx,
    p: &Principal,
    location: LocationId,
    cmd: &OrderCommand,
    now: DateTime<Utc>,
) -> Result<(Order, Option<larder_core::kitchen::Eta>), AppError> {
    location_in_scope(tx, p, location).await?;
    let tenant = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
    let calendar = crate::analytics::Calendar::of(&tenant)?;
    let business_date = calendar.business_date(now);
    let order_id = OrderId::new();
    let mut lines = Vec::with_capacity(cmd.lines.len());
    let mut tasks: Vec<KitchenTaskRow> = Vec::new();
    let mut items: Vec<Vec<TaskId>> = Vec::with_capacity(cmd.lines.len());
    let mut versions: HashMap<(WorkflowTemplateId, i64), WorkflowTemplate> = HashMap::new();
    for (i, l) in cmd.lines.iter().enumerate() {
        let field = format!("lines[{i}]");
        let item = tx
            .get_menu_item(l.menu_item_id)
            .await?
            .ok_or(AppError::NotFound("menu item"))?;
        if item.retired_at.is_some() {
            return Err(AppError::invalid(
                format!("{field}.menu_item_id"),
                format!("'{}' is retired from the menu", item.name),
            ));
        }
        let unit_price = l.unit_price.or(item.price).ok_or_else(|| {
            AppError::invalid(
                format!("{field}.unit_price"),
                "the menu item has no price: give one",
            )
        })?;
        let template = tx
            .active_workflow_template(item.id, item.category.as_deref())
            .await?;
        let line_id = OrderLineId::new();
        let mut line_tasks = Vec::new();
        if let Some(t) = &template {
            let key = (t.id, t.current_version);
            if let std::collections::hash_map::Entry::Vacant(slot) = versions.entry(key) {
                let v = tx
                    .workflow_template_version(t.id, t.current_version)
                    .await?
                    .ok_or(AppError::Internal(format!(
                        "template {} has no version {}",
                        t.id, t.current_version
                    )))?;
                slot.insert(WorkflowTemplate {
                    name: t.name.clone(),
                    phases: parse_phases(&v)?,
                });
            }
            let wf = &versions[&key];
            let made = instantiate(
                wf,
                &CoreLine {
                    id: line_id,
                    menu_item: item.id,
                    quantity: l.quantity,
                },
                TaskId::new,
            )
            .map_err(|e| AppError::invalid(format!("{field}.menu_item_id"), e.to_string()))?;
            for m in made {
                let subtasks: Vec<Subtask> = m
                    .subtasks
                    .iter()
                    .map(|s| Subtask {
                        name: s.name.clone(),
                        optional: s.optional,
                        done: false,
                    })
                    .collect();
                line_tasks.push(m.id);
                tasks.push(KitchenTaskRow {
                    id: m.id,
                    order_id,
                    line_id,
                    task_key: m.task_key,
                    name: m.name,
                    phase: i64::try_from(m.phase).unwrap_or(i64::MAX),
                    station_type: m.station_type,
                    quantity: m.quantity,
                    unit_estimate_secs: m.unit_estimate_secs,
                    estimate_secs: m.estimate_secs,
                    depends_on: m.depends_on,
                    subtasks: serde_json::to_string(&subtasks)
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                    status: m.status,
                    station_id: None,
                    fire_at: None,
                    queued_at: None,
                    started_at: None,
                    done_at: None,
                    started_by: None,
                    done_by: None,
                    blocked_reason: None,
                    updated_at: now,
                    version: 1,
                });
            }
        }
        items.push(line_tasks);
        lines.push(KitchenOrderLineRow {
            id: line_id,
            order_id,
            line_no: i64::try_from(i + 1).unwrap_or(i64::MAX),
            menu_item_id: item.id,
            item_name: item.name,
            quantity: l.quantity,
            unit_price,
            modifiers: serde_json::to_string(
                &l.modifiers.iter().map(Label::as_str).collect::<Vec<_>>(),
            )
            .map_err(|e| AppError::Internal(e.to_string()))?,
            notes: l.notes.as_ref().map(|n| n.as_str().to_owned()),
            template_id: template.as_ref().map(|t| t.id),
            template_version: template.as_ref().map(|t| t.current_version),
        });
    }

    if tasks.len() > MAX_ORDER_TASKS {
        return Err(AppError::invalid(
            "lines",
            format!(
                "the order makes {} kitchen tasks, more than the {MAX_ORDER_TASKS} one order may: split it",
                tasks.len()
            ),
        ));
    }
    // Every task must have a station here that does it, now or when it becomes ready.
    let kitchen = Kitchen::read(tx, location, now).await?;
    if let Some(t) = tasks.iter().find(|t| {
        !kitchen
            .stations
            .iter()
            .any(|s| s.active && s.capacity > 0 && s.station_types.contains(&t.station_type))
    }) {
        let i = lines.iter().position(|l| l.id == t.line_id).unwrap_or(0);
        return Err(AppError::invalid(
            format!("lines[{i}].menu_item_id"),
            format!(
                "no active station here does '{}' (task '{}'): add or switch on one",
                t.station_type, t.name
            ),
        ));
    }
    // Fire the lines so they reach the pass together, and quote the ready time.
    let template_of = templates_of(&lines);
    let plan = planned(tx, &kitchen, &tasks, &template_of, now).await?;
    let by_id: HashMap<TaskId, usize> = plan.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    let item_plans: Vec<Vec<larder_core::kitchen::PlannedTask>> = items
        .iter()
        .map(|ids| ids.iter().map(|id| plan[by_id[id]].clone()).collect())
        .collect();
    let fired = fire_plan(now, &kitchen.states(now, None), &item_plans);
    let mut loads = kitchen.loads(now);
    let (eta, problem) = match fired {
        Ok(f) => {
            for (item, fire) in items.iter().zip(&f.items) {
                if fire.hold_secs > 0 {
                    for t in tasks.iter_mut().filter(|t| item.contains(&t.id)) {
                        t.fire_at = Some(fire.fire_at);
                    }
                }
            }
            (Some(f.eta), None)
        }
        Err(e) => (None, Some(eta_problem(&e, &tasks))),
    };
    let mut log = Vec::new();
    for t in tasks.iter_mut().filter(|t| t.status == TaskStatus::Ready) {
        let planned_at = eta
            .as_ref()
            .and_then(|e| e.tasks.iter().find(|s| s.id == t.id))
            .map(|s| s.station);
        let station = match planned_at {
            Some(s) => {
                if let Some(l) = loads.iter_mut().find(|l| l.id == s) {
                    l.assigned_secs = l.assigned_secs.saturating_add(t.estimate_secs);
                }
                Some(s)
            }
            None => queue_at(&mut loads, t),
        };
        let Some(station) = station else {
            let i = lines.iter().position(|l| l.id == t.line_id).unwrap_or(0);
            return Err(AppError::invalid(
                format!("lines[{i}].menu_item_id"),
                format!(
                    "no active station does '{}' (task '{}'): add or switch on one",
                    t.station_type, t.name
                ),
            ));
        };
        t.station_id = Some(station);
        t.queued_at = Some(now);
        log.push(log_entry(
            t,
            location,
            TaskStatus::Waiting,
            now,
            Some(p.user_id),
        ));
    }
    let number = tx
        .next_kitchen_order_number(location, business_date)
        .await?;
    let ready_at_quote = eta.as_ref().map(|e| e.ready_at);
    let status = if tasks.is_empty() {
        OrderStatus::Ready
    } else {
        OrderStatus::New
    };
    let order = KitchenOrderRow {
        id: order_id,
        location_id: location,
        business_date,
        number,
        channel: cmd.channel,
        status,
        priority: cmd.priority.unwrap_or(Priority::Normal),
        customer_name: cmd.customer_name.as_ref().map(|n| n.as_str().to_owned()),
        customer_phone: cmd.customer_phone.as_ref().map(|n| n.as_str().to_owned()),
        customer_address: cmd.customer_address.as_ref().map(|n| n.as_str().to_owned()),
        notes: cmd.notes.as_ref().map(|n| n.as_str().to_owned()),
        requested_at: cmd.requested_at,
        predicted_ready_at: ready_at_quote,
        eta_at: ready_at_quote,
        started_at: None,
        ready_at: tasks.is_empty().then_some(now),
        delivered_at: None,
        cancelled_at: None,
        cancel_reason: None,
        created_by: Some(p.user_id),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    tx.insert_kitchen_order(&order, &lines, &tasks).await?;
    if !log.is_empty() {
        tx.insert_kitchen_task_log(&log).await?;
    }
    if order.status == OrderStatus::Ready {
        super::stock::deplete(tx, &order, &lines, Some(p.user_id), now).await?;
    }
    Ok((assemble(order, &lines, &tasks, problem)?, eta))
}

/// Records the `kitchen.order_eta_recalculated` event of an order.
pub(crate) async fn emit_eta(
    tx: &mut dyn TenantTx,
    p: &Principal,
    order: &Order,
    eta: Option<&larder_core::kitchen::Eta>,
) -> Result<(), AppError> {
    let data = EtaRecalculated {
        id: order.id,
        order_id: order.id,
        location_id: order.location_id,
        eta_at: order.eta_at,
        predicted_ready_at: order.predicted_ready_at,
        breakdown: eta,
        problem: order.eta_problem.clone(),
    };
    crate::events::emit(
        tx,
        p,
        EventType::OrderEtaRecalculated,
        crate::events::to_json(&data)?,
    )
    .await
}

impl App {
    /// Takes a customer order at a location (module doc). A retry with the same
    /// `Idempotency-Key` answers the first order and takes no other.
    ///
    /// # Errors
    /// 403 without `kitchen.orders`; 404 on the location or a line's menu item (another
    /// tenant's included); 422 on a field (`lines[2].quantity`), a line without a price, or
    /// a task no active station does; 409 when the key was used for another request.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_order(
        &self,
        p: Principal,
        location: LocationId,
        cmd: OrderCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Order>, AppError> {
        p.require(Permission::KitchenOrders)?;
        check_lines(&cmd)?;
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            EventType::OrderCreated,
            &(location, &cmd),
            move |tx| {
                Box::pin(async move {
                    let (order, eta) = take_order(tx, &p, location, &c, super::now()).await?;
                    emit_eta(tx, &p, &order, eta.as_ref()).await?;
                    Ok(order)
                })
            },
        )
        .await
    }

    /// One order with its lines and tasks.
    ///
    /// # Errors
    /// 403 without `kitchen.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_order(&self, p: Principal, id: OrderId) -> Result<Order, AppError> {
        p.require(Permission::KitchenRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let o = order_in_scope(tx, &p, id).await?;
                order_view(tx, o, None).await
            })
        })
        .await
    }

    /// A location's orders, newest first.
    ///
    /// # Errors
    /// 403 without `kitchen.read`; 404 on the location; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_orders(
        &self,
        p: Principal,
        location: LocationId,
        q: OrderQuery,
    ) -> Result<Page<OrderSummary>, AppError> {
        p.require(Permission::KitchenRead)?;
        let limit = crate::page::limit(q.limit)?;
        let before = match &q.cursor {
            Some(c) => Some(crate::page::id::<OrderId>(&crate::page::decode(c, 1)?[0])?),
            None => None,
        };
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                location_in_scope(tx, &p, location).await?;
                Ok::<_, AppError>(
                    tx.list_kitchen_orders(&KitchenOrderFilter {
                        location_id: Some(location),
                        statuses: q.status.into_iter().collect(),
                        business_date: q.business_date,
                        before,
                        limit: limit + 1,
                    })
                    .await?,
                )
            })
        })
        .await?;
        Ok(crate::page::page(
            rows.into_iter().map(OrderSummary::from).collect(),
            limit,
            |o| crate::page::encode(&[&o.id.to_string()]),
        ))
    }

    /// Changes an order's customer details, notes, priority or requested time when
    /// `if_match` is its version; a new priority or requested time reorders its tasks in
    /// their queues.
    ///
    /// # Errors
    /// 403 without `kitchen.orders`; 404; 409 when the order is delivered or cancelled; 412
    /// when stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_order(
        &self,
        p: Principal,
        id: OrderId,
        cmd: OrderUpdateCommand,
        if_match: Option<i64>,
    ) -> Result<Order, AppError> {
        p.require(Permission::KitchenOrders)?;
        crate::events::write(self.db(), &p, EventType::OrderUpdated, move |tx| {
            Box::pin(async move {
                let current = order_in_scope(tx, &p, id).await?;
                if if_match.is_some_and(|v| v != current.version) {
                    return Err(AppError::PreconditionFailed("order"));
                }
                if current.status.is_final() {
                    return Err(AppError::conflict(
                        "status",
                        format!("the order is {}; it cannot change", current.status),
                    ));
                }
                let row = KitchenOrderRow {
                    priority: cmd.priority,
                    customer_name: cmd.customer_name.map(|n| n.as_str().to_owned()),
                    customer_phone: cmd.customer_phone.map(|n| n.as_str().to_owned()),
                    customer_address: cmd.customer_address.map(|n| n.as_str().to_owned()),
                    notes: cmd.notes.map(|n| n.as_str().to_owned()),
                    requested_at: cmd.requested_at,
                    updated_at: super::now(),
                    version: current.version + 1,
                    ..current
                };
                tx.update_kitchen_order(&row)
                    .await
                    .map_err(stale("kitchen_orders", "order"))?;
                order_view(tx, row, None).await
            })
        })
        .await
    }

    /// Cancels an order: every task not done is cancelled, started ones included (they leave
    /// the screens); done tasks stay done. Cancelling again answers the order as it is.
    ///
    /// # Errors
    /// 403 without `kitchen.orders`; 404; 409 when the order has left the kitchen
    /// (delivering or delivered); 412 when stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn cancel_order(
        &self,
        p: Principal,
        id: OrderId,
        cmd: CancelOrderCommand,
        if_match: Option<i64>,
    ) -> Result<Order, AppError> {
        p.require(Permission::KitchenOrders)?;
        // Not `events::write`: a repeated cancel records no second event.
        run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                let current = order_in_scope(tx, &p, id).await?;
                if if_match.is_some_and(|v| v != current.version) {
                    return Err(AppError::PreconditionFailed("order"));
                }
                match current.status.transition(OrderStatus::Cancelled) {
                    Ok(larder_core::kitchen::Step::Unchanged(_)) => {
                        return order_view(tx, current, None).await;
                    }
                    Ok(larder_core::kitchen::Step::Moved { .. }) => {}
                    Err(e) => return Err(AppError::conflict("status", e.to_string())),
                }
                let now = super::now();
                super::stock::reverse(tx, &current, Some(p.user_id), now).await?;
                let tasks = tx.kitchen_order_tasks(id).await?;
                let ids =
                    cancelled_tasks(&tasks.iter().map(|t| (t.id, t.status)).collect::<Vec<_>>());
                let mut log = Vec::new();
                for t in tasks.iter().filter(|t| ids.contains(&t.id)) {
                    let row = KitchenTaskRow {
                        status: TaskStatus::Cancelled,
                        updated_at: now,
                        version: t.version + 1,
                        ..t.clone()
                    };
                    tx.update_kitchen_task(&row)
                        .await
                        .map_err(stale("kitchen_tasks", "task"))?;
                    log.push(log_entry(
                        &row,
                        current.location_id,
                        t.status,
                        now,
                        Some(p.user_id),
                    ));
                }
                if !log.is_empty() {
                    tx.insert_kitchen_task_log(&log).await?;
                }
                let row = KitchenOrderRow {
                    status: OrderStatus::Cancelled,
                    cancelled_at: Some(now),
                    cancel_reason: Some(cmd.reason.as_str().to_owned()),
                    eta_at: None,
                    updated_at: now,
                    version: current.version + 1,
                    ..current
                };
                tx.update_kitchen_order(&row)
                    .await
                    .map_err(stale("kitchen_orders", "order"))?;
                let view = order_view(tx, row, None).await?;
                crate::events::emit(
                    tx,
                    &p,
                    EventType::OrderCancelled,
                    crate::events::to_json(&view)?,
                )
                .await?;
                Ok(view)
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_out_of_range_is_named() {
        let line = |quantity| OrderLineCommand {
            menu_item_id: MenuItemId::new(),
            quantity,
            unit_price: None,
            modifiers: vec![],
            notes: None,
        };
        let cmd = |lines| OrderCommand {
            channel: Channel::Phone,
            priority: None,
            customer_name: None,
            customer_phone: None,
            customer_address: None,
            notes: None,
            requested_at: None,
            lines,
        };
        assert!(check_lines(&cmd(vec![line(1), line(999)])).is_ok());
        match check_lines(&cmd(vec![line(1), line(1000)])) {
            Err(AppError::Validation { field, .. }) => assert_eq!(field, "lines[1].quantity"),
            other => panic!("{other:?}"),
        }
        match check_lines(&cmd(vec![])) {
            Err(AppError::Validation { field, .. }) => assert_eq!(field, "lines"),
            other => panic!("{other:?}"),
        }
    }
}
