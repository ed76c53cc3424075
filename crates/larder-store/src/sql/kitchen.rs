//! The kitchen's statements (issue 11; ADR 030 and 031).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use larder_core::kitchen::OrderStatus;
use larder_core::{
    DeliveryId, LocationId, MenuItemId, OrderId, StationId, TaskId, UserId, WorkflowTemplateId,
};
use uuid::Uuid;

use super::{Exec, R, Row, SqlTx, ToArg, args, rows};
use crate::{
    KitchenOrderFilter, KitchenOrderLineRow, KitchenOrderRow, KitchenTaskLogFilter,
    KitchenTaskLogRow, KitchenTaskRow, KitchenTx, OpenTaskRow, OrderDeliveryRow, ShiftRow,
    StationRow, StoreError, TaskDurationRow, WorkflowTemplateRow, WorkflowTemplateVersionRow,
};

const INSERT_STATION: &str = "INSERT INTO stations (tenant_id, id, location_id, name,
     station_types, capacity, active, created_at, updated_at, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const GET_STATION: &str = "SELECT id, location_id, name, station_types, capacity, active,
     created_at, updated_at, version FROM stations WHERE tenant_id = $1 AND id = $2";
const LIST_STATIONS: &str = "SELECT id, location_id, name, station_types, capacity, active,
     created_at, updated_at, version FROM stations
     WHERE tenant_id = $1 AND ($2 IS NULL OR location_id = $2)
     ORDER BY location_id, name LIMIT 500";
const UPDATE_STATION: &str = "UPDATE stations SET name = $3, station_types = $4, capacity = $5,
     active = $6, updated_at = $7, version = $8
     WHERE tenant_id = $1 AND id = $2 AND version = $8 - 1";
const STATION_EXISTS: &str = "SELECT 1 FROM stations WHERE tenant_id = $1 AND id = $2";

const INSERT_TEMPLATE: &str = "INSERT INTO workflow_templates (tenant_id, id, name,
     menu_item_id, category, current_version, active, created_at, updated_at, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const GET_TEMPLATE: &str = "SELECT id, name, menu_item_id, category, current_version, active,
     created_at, updated_at, version FROM workflow_templates WHERE tenant_id = $1 AND id = $2";
const LIST_TEMPLATES: &str = "SELECT id, name, menu_item_id, category, current_version, active,
     created_at, updated_at, version FROM workflow_templates WHERE tenant_id = $1
     ORDER BY name LIMIT 500";
const ACTIVE_TEMPLATE: &str = "SELECT id, name, menu_item_id, category, current_version,
     active, created_at, updated_at, version FROM workflow_templates
     WHERE tenant_id = $1 AND active = 1 AND (menu_item_id = $2 OR category = $3)
     ORDER BY CASE WHEN menu_item_id IS NULL THEN 1 ELSE 0 END LIMIT 1";
const UPDATE_TEMPLATE: &str = "UPDATE workflow_templates SET name = $3, menu_item_id = $4,
     category = $5, current_version = $6, active = $7, updated_at = $8, version = $9
     WHERE tenant_id = $1 AND id = $2 AND version = $9 - 1";
const TEMPLATE_EXISTS: &str = "SELECT 1 FROM workflow_templates WHERE tenant_id = $1 AND id = $2";
const INSERT_TEMPLATE_VERSION: &str = "INSERT INTO workflow_template_versions (tenant_id,
     template_id, version, phases, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
const GET_TEMPLATE_VERSION: &str = "SELECT template_id, version, phases, created_by, created_at
     FROM workflow_template_versions WHERE tenant_id = $1 AND template_id = $2 AND version = $3";

const NEXT_ORDER_NUMBER: &str = "INSERT INTO kitchen_order_numbers (tenant_id, location_id,
     business_date, last_number) VALUES ($1, $2, $3, 1)
     ON CONFLICT (tenant_id, location_id, business_date)
     DO UPDATE SET last_number = kitchen_order_numbers.last_number + 1
     RETURNING last_number";
const INSERT_ORDER: &str = "INSERT INTO kitchen_orders (tenant_id, id, location_id,
     business_date, number, channel, status, priority, customer_name, customer_phone,
     customer_address, notes, requested_at, predicted_ready_at, eta_at, started_at, ready_at,
     delivered_at, cancelled_at, cancel_reason, created_by, created_at, updated_at, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
     $19, $20, $21, $22, $23, $24)";
const GET_ORDER: &str = "SELECT id, location_id, business_date, number, channel, status,
     priority, customer_name, customer_phone, customer_address, notes, requested_at,
     predicted_ready_at, eta_at, started_at, ready_at, delivered_at, cancelled_at,
     cancel_reason, created_by, created_at, updated_at, version
     FROM kitchen_orders WHERE tenant_id = $1 AND id = $2";
/// `$3`: a bit mask of statuses (bit `i` for `OrderStatus::ALL[i]`; 0: any).
const LIST_ORDERS: &str = "SELECT id, location_id, business_date, number, channel, status,
     priority, customer_name, customer_phone, customer_address, notes, requested_at,
     predicted_ready_at, eta_at, started_at, ready_at, delivered_at, cancelled_at,
     cancel_reason, created_by, created_at, updated_at, version
     FROM kitchen_orders
     WHERE tenant_id = $1 AND ($2 IS NULL OR location_id = $2)
       AND ($3 = 0 OR (CAST(CASE status WHEN 'new' THEN 1 WHEN 'preparing' THEN 2
                WHEN 'ready' THEN 4 WHEN 'delivering' THEN 8 WHEN 'delivered' THEN 16
                ELSE 32 END AS BIGINT) & $3) <> 0)
       AND ($4 IS NULL OR business_date = $4)
       AND ($5 IS NULL OR id < $5)
     ORDER BY id DESC LIMIT $6";
const ORDERS_READY_BETWEEN: &str = "SELECT id, location_id, business_date, number, channel,
     status, priority, customer_name, customer_phone, customer_address, notes, requested_at,
     predicted_ready_at, eta_at, started_at, ready_at, delivered_at, cancelled_at,
     cancel_reason, created_by, created_at, updated_at, version
     FROM kitchen_orders
     WHERE tenant_id = $1 AND ($2 IS NULL OR location_id = $2)
       AND ready_at >= $3 AND ready_at < $4
     ORDER BY ready_at, id LIMIT 10000";
/// The quote at creation (`predicted_ready_at`) is never rewritten: accuracy is measured
/// against it.
const UPDATE_ORDER: &str = "UPDATE kitchen_orders SET status = $3, priority = $4,
     customer_name = $5, customer_phone = $6, customer_address = $7, notes = $8,
     requested_at = $9, eta_at = $10, started_at = $11, ready_at = $12, delivered_at = $13,
     cancelled_at = $14, cancel_reason = $15, updated_at = $16, version = $17
     WHERE tenant_id = $1 AND id = $2 AND version = $17 - 1";
const ORDER_EXISTS: &str = "SELECT 1 FROM kitchen_orders WHERE tenant_id = $1 AND id = $2";

const INSERT_LINE: &str = "INSERT INTO kitchen_order_lines (tenant_id, id, order_id, line_no,
     menu_item_id, item_name, quantity, unit_price, modifiers, notes, template_id,
     template_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const ORDER_LINES: &str = "SELECT id, order_id, line_no, menu_item_id, item_name, quantity,
     unit_price, modifiers, notes, template_id, template_version
     FROM kitchen_order_lines WHERE tenant_id = $1 AND order_id = $2 ORDER BY line_no";

const INSERT_TASK: &str = "INSERT INTO kitchen_tasks (tenant_id, id, order_id, line_id,
     task_key, name, phase, station_type, quantity, unit_estimate_secs, estimate_secs,
     depends_on, subtasks, status, station_id, fire_at, queued_at, started_at, done_at,
     started_by, done_by, blocked_reason, updated_at, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
     $19, $20, $21, $22, $23, $24)";
const GET_TASK: &str = "SELECT id, order_id, line_id, task_key, name, phase, station_type,
     quantity, unit_estimate_secs, estimate_secs, depends_on, subtasks, status, station_id,
     fire_at, queued_at, started_at, done_at, started_by, done_by, blocked_reason,
     updated_at, version FROM kitchen_tasks WHERE tenant_id = $1 AND id = $2";
const ORDER_TASKS: &str = "SELECT t.id, t.order_id, t.line_id, t.task_key, t.name, t.phase,
     t.station_type, t.quantity, t.unit_estimate_secs, t.estimate_secs, t.depends_on,
     t.subtasks, t.status, t.station_id, t.fire_at, t.queued_at, t.started_at, t.done_at,
     t.started_by, t.done_by, t.blocked_reason, t.updated_at, t.version
     FROM kitchen_tasks t
     JOIN kitchen_order_lines l ON l.tenant_id = t.tenant_id AND l.id = t.line_id
     WHERE t.tenant_id = $1 AND t.order_id = $2
     ORDER BY l.line_no, t.phase, t.id";
const OPEN_TASKS: &str = "SELECT t.id, t.order_id, t.line_id, t.task_key, t.name, t.phase,
     t.station_type, t.quantity, t.unit_estimate_secs, t.estimate_secs, t.depends_on,
     t.subtasks, t.status, t.station_id, t.fire_at, t.queued_at, t.started_at, t.done_at,
     t.started_by, t.done_by, t.blocked_reason, t.updated_at, t.version,
     o.number, o.priority, o.requested_at, o.created_at, l.template_id
     FROM kitchen_tasks t
     JOIN kitchen_orders o ON o.tenant_id = t.tenant_id AND o.id = t.order_id
     JOIN kitchen_order_lines l ON l.tenant_id = t.tenant_id AND l.id = t.line_id
     WHERE t.tenant_id = $1 AND o.location_id = $2
       AND t.status IN ('waiting', 'ready', 'started', 'blocked')
     ORDER BY CASE o.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END,
       CASE WHEN o.requested_at IS NULL THEN 1 ELSE 0 END, o.requested_at, o.created_at,
       t.id
     LIMIT 10000";
const UPDATE_TASK: &str = "UPDATE kitchen_tasks SET subtasks = $3, status = $4,
     station_id = $5, fire_at = $6, queued_at = $7, started_at = $8, done_at = $9,
     started_by = $10, done_by = $11, blocked_reason = $12, updated_at = $13, version = $14
     WHERE tenant_id = $1 AND id = $2 AND version = $14 - 1";
const TASK_EXISTS: &str = "SELECT 1 FROM kitchen_tasks WHERE tenant_id = $1 AND id = $2";

const INSERT_TASK_LOG: &str = "INSERT INTO kitchen_task_log (tenant_id, id, task_id, order_id,
     location_id, station_id, from_status, to_status, at, actor)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const TASK_LOG: &str = "SELECT id, task_id, order_id, location_id, station_id, from_status,
     to_status, at, actor FROM kitchen_task_log
     WHERE tenant_id = $1 AND at >= $2 AND at < $3 AND ($4 IS NULL OR location_id = $4)
       AND ($5 IS NULL OR at > $5 OR (at = $5 AND id > $6))
     ORDER BY at, id LIMIT $7";

const INSERT_DURATION: &str = "INSERT INTO kitchen_task_durations (tenant_id, task_id,
     template_id, task_key, station_id, per_unit_secs, done_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant_id, task_id) DO NOTHING";
const RECENT_DURATIONS: &str = "SELECT per_unit_secs FROM kitchen_task_durations
     WHERE tenant_id = $1 AND template_id = $2 AND task_key = $3 AND station_id = $4
     ORDER BY done_at DESC, task_id DESC LIMIT $5";

const INSERT_DELIVERY: &str = "INSERT INTO deliveries (tenant_id, id, order_id, rider_id,
     status, assigned_at, picked_up_at, delivered_at, failed_at, failure_reason, updated_at,
     version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
const GET_DELIVERY: &str = "SELECT id, order_id, rider_id, status, assigned_at, picked_up_at,
     delivered_at, failed_at, failure_reason, updated_at, version
     FROM deliveries WHERE tenant_id = $1 AND id = $2";
const LIST_DELIVERIES: &str = "SELECT id, order_id, rider_id, status, assigned_at,
     picked_up_at, delivered_at, failed_at, failure_reason, updated_at, version
     FROM deliveries
     WHERE tenant_id = $1 AND ($2 IS NULL OR order_id = $2) AND ($3 IS NULL OR rider_id = $3)
       AND ($4 = 0 OR status IN ('assigned', 'picked_up'))
     ORDER BY id DESC LIMIT 500";
const UPDATE_DELIVERY: &str = "UPDATE deliveries SET status = $3, picked_up_at = $4,
     delivered_at = $5, failed_at = $6, failure_reason = $7, updated_at = $8, version = $9
     WHERE tenant_id = $1 AND id = $2 AND version = $9 - 1";
const DELIVERY_EXISTS: &str = "SELECT 1 FROM deliveries WHERE tenant_id = $1 AND id = $2";

const INSERT_SHIFT: &str = "INSERT INTO shifts (tenant_id, id, location_id, station_id,
     user_id, starts_at, ends_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const DELETE_SHIFT: &str = "DELETE FROM shifts WHERE tenant_id = $1 AND id = $2";
const LIST_SHIFTS: &str = "SELECT id, location_id, station_id, user_id, starts_at, ends_at,
     created_at FROM shifts
     WHERE tenant_id = $1 AND location_id = $2 AND starts_at < $4 AND ends_at > $3
     ORDER BY starts_at, id LIMIT 2000";

/// A list of codes or ids as stored: separated by one space.
fn joined<T: ToString>(v: &[T]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn split_ids(s: &str) -> R<Vec<TaskId>> {
    s.split_whitespace()
        .map(|id| {
            id.parse::<TaskId>()
                .map_err(|_| StoreError::Other(format!("bad task id '{id}'")))
        })
        .collect()
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_day(s: &str) -> R<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| StoreError::Other(format!("bad date '{s}'")))
}

fn flag(r: &mut Row) -> R<bool> {
    Ok(r.get::<i64>()? == 1)
}

/// The bit of each status in [`LIST_ORDERS`]'s mask.
fn status_mask(statuses: &[OrderStatus]) -> i64 {
    statuses.iter().fold(0, |m, s| {
        m | match s {
            OrderStatus::New => 1,
            OrderStatus::Preparing => 2,
            OrderStatus::Ready => 4,
            OrderStatus::Delivering => 8,
            OrderStatus::Delivered => 16,
            OrderStatus::Cancelled => 32,
        }
    })
}

fn station(mut r: Row) -> R<StationRow> {
    Ok(StationRow {
        id: r.get()?,
        location_id: r.get()?,
        name: r.get()?,
        station_types: r
            .get::<String>()?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        capacity: r.get()?,
        active: flag(&mut r)?,
        created_at: r.get()?,
        updated_at: r.get()?,
        version: r.get()?,
    })
}

fn template(mut r: Row) -> R<WorkflowTemplateRow> {
    Ok(WorkflowTemplateRow {
        id: r.get()?,
        name: r.get()?,
        menu_item_id: r.get()?,
        category: r.get()?,
        current_version: r.get()?,
        active: flag(&mut r)?,
        created_at: r.get()?,
        updated_at: r.get()?,
        version: r.get()?,
    })
}

fn template_version(mut r: Row) -> R<WorkflowTemplateVersionRow> {
    Ok(WorkflowTemplateVersionRow {
        template_id: r.get()?,
        version: r.get()?,
        phases: r.get()?,
        created_by: r.get()?,
        created_at: r.get()?,
    })
}

fn order(mut r: Row) -> R<KitchenOrderRow> {
    Ok(KitchenOrderRow {
        id: r.get()?,
        location_id: r.get()?,
        business_date: parse_day(&r.get::<String>()?)?,
        number: r.get()?,
        channel: r.spelled()?,
        status: r.spelled()?,
        priority: r.spelled()?,
        customer_name: r.get()?,
        customer_phone: r.get()?,
        customer_address: r.get()?,
        notes: r.get()?,
        requested_at: r.get()?,
        predicted_ready_at: r.get()?,
        eta_at: r.get()?,
        started_at: r.get()?,
        ready_at: r.get()?,
        delivered_at: r.get()?,
        cancelled_at: r.get()?,
        cancel_reason: r.get()?,
        created_by: r.get()?,
        created_at: r.get()?,
        updated_at: r.get()?,
        version: r.get()?,
    })
}

fn line(mut r: Row) -> R<KitchenOrderLineRow> {
    Ok(KitchenOrderLineRow {
        id: r.get()?,
        order_id: r.get()?,
        line_no: r.get()?,
        menu_item_id: r.get()?,
        item_name: r.get()?,
        quantity: r.get()?,
        unit_price: r.get()?,
        modifiers: r.get()?,
        notes: r.get()?,
        template_id: r.get()?,
        template_version: r.get()?,
    })
}

fn task(r: &mut Row) -> R<KitchenTaskRow> {
    Ok(KitchenTaskRow {
        id: r.get()?,
        order_id: r.get()?,
        line_id: r.get()?,
        task_key: r.get()?,
        name: r.get()?,
        phase: r.get()?,
        station_type: r.get()?,
        quantity: r.get()?,
        unit_estimate_secs: r.get()?,
        estimate_secs: r.get()?,
        depends_on: split_ids(&r.get::<String>()?)?,
        subtasks: r.get()?,
        status: r.spelled()?,
        station_id: r.get()?,
        fire_at: r.get()?,
        queued_at: r.get()?,
        started_at: r.get()?,
        done_at: r.get()?,
        started_by: r.get()?,
        done_by: r.get()?,
        blocked_reason: r.get()?,
        updated_at: r.get()?,
        version: r.get()?,
    })
}

fn log_entry(mut r: Row) -> R<KitchenTaskLogRow> {
    Ok(KitchenTaskLogRow {
        id: r.get()?,
        task_id: r.get()?,
        order_id: r.get()?,
        location_id: r.get()?,
        station_id: r.get()?,
        from_status: r.spelled()?,
        to_status: r.spelled()?,
        at: r.get()?,
        actor: r.get()?,
    })
}

fn delivery(mut r: Row) -> R<OrderDeliveryRow> {
    Ok(OrderDeliveryRow {
        id: r.get()?,
        order_id: r.get()?,
        rider_id: r.get()?,
        status: r.spelled()?,
        assigned_at: r.get()?,
        picked_up_at: r.get()?,
        delivered_at: r.get()?,
        failed_at: r.get()?,
        failure_reason: r.get()?,
        updated_at: r.get()?,
        version: r.get()?,
    })
}

fn shift(mut r: Row) -> R<ShiftRow> {
    Ok(ShiftRow {
        id: r.get()?,
        location_id: r.get()?,
        station_id: r.get()?,
        user_id: r.get()?,
        starts_at: r.get()?,
        ends_at: r.get()?,
        created_at: r.get()?,
    })
}

#[async_trait]
impl<E: Exec> KitchenTx for SqlTx<E> {
    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_station(&mut self, s: &StationRow) -> R<()> {
        self.exec
            .execute(
                INSERT_STATION,
                args![
                    self.tenant,
                    s.id,
                    s.location_id,
                    s.name,
                    joined(&s.station_types),
                    s.capacity,
                    i64::from(s.active),
                    s.created_at,
                    s.updated_at,
                    s.version
                ],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_station(&mut self, id: StationId) -> R<Option<StationRow>> {
        self.exec
            .fetch_optional(GET_STATION, args![self.tenant, id])
            .await?
            .map(station)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_stations(&mut self, location: Option<LocationId>) -> R<Vec<StationRow>> {
        rows(
            self.exec
                .fetch_all(LIST_STATIONS, args![self.tenant, location])
                .await?,
            station,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_station(&mut self, s: &StationRow) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_STATION,
                args![
                    self.tenant,
                    s.id,
                    s.name,
                    joined(&s.station_types),
                    s.capacity,
                    i64::from(s.active),
                    s.updated_at,
                    s.version
                ],
            )
            .await?;
        self.versioned(n, STATION_EXISTS, s.id.as_uuid(), "stations")
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_workflow_template(
        &mut self,
        t: &WorkflowTemplateRow,
        first: &WorkflowTemplateVersionRow,
    ) -> R<()> {
        self.exec
            .execute(
                INSERT_TEMPLATE,
                args![
                    self.tenant,
                    t.id,
                    t.name,
                    t.menu_item_id,
                    t.category,
                    t.current_version,
                    i64::from(t.active),
                    t.created_at,
                    t.updated_at,
                    t.version
                ],
            )
            .await?;
        self.insert_template_version(first).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_workflow_template(
        &mut self,
        id: WorkflowTemplateId,
    ) -> R<Option<WorkflowTemplateRow>> {
        self.exec
            .fetch_optional(GET_TEMPLATE, args![self.tenant, id])
            .await?
            .map(template)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_workflow_templates(&mut self) -> R<Vec<WorkflowTemplateRow>> {
        rows(
            self.exec
                .fetch_all(LIST_TEMPLATES, args![self.tenant])
                .await?,
            template,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn workflow_template_version(
        &mut self,
        id: WorkflowTemplateId,
        version: i64,
    ) -> R<Option<WorkflowTemplateVersionRow>> {
        self.exec
            .fetch_optional(GET_TEMPLATE_VERSION, args![self.tenant, id, version])
            .await?
            .map(template_version)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_workflow_template(
        &mut self,
        t: &WorkflowTemplateRow,
        new_version: Option<&WorkflowTemplateVersionRow>,
    ) -> R<()> {
        if let Some(v) = new_version
            && (v.template_id != t.id || v.version != t.current_version)
        {
            return Err(StoreError::Other(format!(
                "version {} of template {} is not the current version {} of {}",
                v.version, v.template_id, t.current_version, t.id
            )));
        }
        let n = self
            .exec
            .execute(
                UPDATE_TEMPLATE,
                args![
                    self.tenant,
                    t.id,
                    t.name,
                    t.menu_item_id,
                    t.category,
                    t.current_version,
                    i64::from(t.active),
                    t.updated_at,
                    t.version
                ],
            )
            .await?;
        self.versioned(n, TEMPLATE_EXISTS, t.id.as_uuid(), "workflow_templates")
            .await?;
        match new_version {
            Some(v) => self.insert_template_version(v).await,
            None => Ok(()),
        }
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn active_workflow_template(
        &mut self,
        menu_item: MenuItemId,
        category: Option<&str>,
    ) -> R<Option<WorkflowTemplateRow>> {
        self.exec
            .fetch_optional(ACTIVE_TEMPLATE, args![self.tenant, menu_item, category])
            .await?
            .map(template)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn next_kitchen_order_number(
        &mut self,
        location: LocationId,
        business_date: NaiveDate,
    ) -> R<i64> {
        self.exec
            .fetch_optional(
                NEXT_ORDER_NUMBER,
                args![self.tenant, location, day(business_date)],
            )
            .await?
            .ok_or_else(|| StoreError::Other("the order number was not returned".into()))?
            .get()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_kitchen_order(
        &mut self,
        o: &KitchenOrderRow,
        lines: &[KitchenOrderLineRow],
        tasks: &[KitchenTaskRow],
    ) -> R<()> {
        self.exec
            .execute(
                INSERT_ORDER,
                args![
                    self.tenant,
                    o.id,
                    o.location_id,
                    day(o.business_date),
                    o.number,
                    o.channel.as_str(),
                    o.status.as_str(),
                    o.priority.as_str(),
                    o.customer_name,
                    o.customer_phone,
                    o.customer_address,
                    o.notes,
                    o.requested_at,
                    o.predicted_ready_at,
                    o.eta_at,
                    o.started_at,
                    o.ready_at,
                    o.delivered_at,
                    o.cancelled_at,
                    o.cancel_reason,
                    o.created_by,
                    o.created_at,
                    o.updated_at,
                    o.version
                ],
            )
            .await?;
        for l in lines {
            self.exec
                .execute(
                    INSERT_LINE,
                    args![
                        self.tenant,
                        l.id,
                        l.order_id,
                        l.line_no,
                        l.menu_item_id,
                        l.item_name,
                        l.quantity,
                        l.unit_price,
                        l.modifiers,
                        l.notes,
                        l.template_id,
                        l.template_version
                    ],
                )
                .await?;
        }
        for t in tasks {
            self.exec
                .execute(
                    INSERT_TASK,
                    args![
                        self.tenant,
                        t.id,
                        t.order_id,
                        t.line_id,
                        t.task_key,
                        t.name,
                        t.phase,
                        t.station_type,
                        t.quantity,
                        t.unit_estimate_secs,
                        t.estimate_secs,
                        joined(&t.depends_on),
                        t.subtasks,
                        t.status.as_str(),
                        t.station_id,
                        t.fire_at,
                        t.queued_at,
                        t.started_at,
                        t.done_at,
                        t.started_by,
                        t.done_by,
                        t.blocked_reason,
                        t.updated_at,
                        t.version
                    ],
                )
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_kitchen_order(&mut self, id: OrderId) -> R<Option<KitchenOrderRow>> {
        self.exec
            .fetch_optional(GET_ORDER, args![self.tenant, id])
            .await?
            .map(order)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn kitchen_order_lines(&mut self, order_id: OrderId) -> R<Vec<KitchenOrderLineRow>> {
        rows(
            self.exec
                .fetch_all(ORDER_LINES, args![self.tenant, order_id])
                .await?,
            line,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn kitchen_order_tasks(&mut self, order_id: OrderId) -> R<Vec<KitchenTaskRow>> {
        rows(
            self.exec
                .fetch_all(ORDER_TASKS, args![self.tenant, order_id])
                .await?,
            |mut r| task(&mut r),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_kitchen_orders(&mut self, f: &KitchenOrderFilter) -> R<Vec<KitchenOrderRow>> {
        rows(
            self.exec
                .fetch_all(
                    LIST_ORDERS,
                    args![
                        self.tenant,
                        f.location_id,
                        status_mask(&f.statuses),
                        f.business_date.map(day),
                        f.before,
                        i64::from(f.limit)
                    ],
                )
                .await?,
            order,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn kitchen_orders_ready_between(
        &mut self,
        location: Option<LocationId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> R<Vec<KitchenOrderRow>> {
        rows(
            self.exec
                .fetch_all(ORDERS_READY_BETWEEN, args![self.tenant, location, from, to])
                .await?,
            order,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_kitchen_order(&mut self, o: &KitchenOrderRow) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_ORDER,
                args![
                    self.tenant,
                    o.id,
                    o.status.as_str(),
                    o.priority.as_str(),
                    o.customer_name,
                    o.customer_phone,
                    o.customer_address,
                    o.notes,
                    o.requested_at,
                    o.eta_at,
                    o.started_at,
                    o.ready_at,
                    o.delivered_at,
                    o.cancelled_at,
                    o.cancel_reason,
                    o.updated_at,
                    o.version
                ],
            )
            .await?;
        self.versioned(n, ORDER_EXISTS, o.id.as_uuid(), "kitchen_orders")
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_kitchen_task(&mut self, id: TaskId) -> R<Option<KitchenTaskRow>> {
        self.exec
            .fetch_optional(GET_TASK, args![self.tenant, id])
            .await?
            .map(|mut r| task(&mut r))
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_kitchen_task(&mut self, t: &KitchenTaskRow) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_TASK,
                args![
                    self.tenant,
                    t.id,
                    t.subtasks,
                    t.status.as_str(),
                    t.station_id,
                    t.fire_at,
                    t.queued_at,
                    t.started_at,
                    t.done_at,
                    t.started_by,
                    t.done_by,
                    t.blocked_reason,
                    t.updated_at,
                    t.version
                ],
            )
            .await?;
        self.versioned(n, TASK_EXISTS, t.id.as_uuid(), "kitchen_tasks")
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn open_kitchen_tasks(&mut self, location: LocationId) -> R<Vec<OpenTaskRow>> {
        rows(
            self.exec
                .fetch_all(OPEN_TASKS, args![self.tenant, location])
                .await?,
            |mut r| {
                Ok(OpenTaskRow {
                    task: task(&mut r)?,
                    order_number: r.get()?,
                    priority: r.spelled()?,
                    requested_at: r.get()?,
                    order_created_at: r.get()?,
                    template_id: r.get()?,
                })
            },
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_kitchen_task_log(&mut self, entries: &[KitchenTaskLogRow]) -> R<()> {
        for e in entries {
            self.exec
                .execute(
                    INSERT_TASK_LOG,
                    args![
                        self.tenant,
                        e.id,
                        e.task_id,
                        e.order_id,
                        e.location_id,
                        e.station_id,
                        e.from_status.as_str(),
                        e.to_status.as_str(),
                        e.at,
                        e.actor
                    ],
                )
                .await?;
        }
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn kitchen_task_log(&mut self, f: &KitchenTaskLogFilter) -> R<Vec<KitchenTaskLogRow>> {
        let (after_at, after_id) = match f.after {
            Some((at, id)) => (Some(at), Some(id)),
            None => (None, None),
        };
        rows(
            self.exec
                .fetch_all(
                    TASK_LOG,
                    args![
                        self.tenant,
                        f.from,
                        f.to,
                        f.location_id,
                        after_at,
                        after_id,
                        i64::from(f.limit)
                    ],
                )
                .await?,
            log_entry,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_task_duration(&mut self, d: &TaskDurationRow) -> R<bool> {
        let n = self
            .exec
            .execute(
                INSERT_DURATION,
                args![
                    self.tenant,
                    d.task_id,
                    d.template_id,
                    d.task_key,
                    d.station_id,
                    d.per_unit_secs,
                    d.done_at
                ],
            )
            .await?;
        Ok(n == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn recent_task_durations(
        &mut self,
        template_id: WorkflowTemplateId,
        task_key: &str,
        station_id: StationId,
        limit: u32,
    ) -> R<Vec<i64>> {
        rows(
            self.exec
                .fetch_all(
                    RECENT_DURATIONS,
                    args![
                        self.tenant,
                        template_id,
                        task_key,
                        station_id,
                        i64::from(limit)
                    ],
                )
                .await?,
            |mut r| r.get(),
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_order_delivery(&mut self, d: &OrderDeliveryRow) -> R<()> {
        self.exec
            .execute(
                INSERT_DELIVERY,
                args![
                    self.tenant,
                    d.id,
                    d.order_id,
                    d.rider_id,
                    d.status.as_str(),
                    d.assigned_at,
                    d.picked_up_at,
                    d.delivered_at,
                    d.failed_at,
                    d.failure_reason,
                    d.updated_at,
                    d.version
                ],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn get_order_delivery(&mut self, id: DeliveryId) -> R<Option<OrderDeliveryRow>> {
        self.exec
            .fetch_optional(GET_DELIVERY, args![self.tenant, id])
            .await?
            .map(delivery)
            .transpose()
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn update_order_delivery(&mut self, d: &OrderDeliveryRow) -> R<()> {
        let n = self
            .exec
            .execute(
                UPDATE_DELIVERY,
                args![
                    self.tenant,
                    d.id,
                    d.status.as_str(),
                    d.picked_up_at,
                    d.delivered_at,
                    d.failed_at,
                    d.failure_reason,
                    d.updated_at,
                    d.version
                ],
            )
            .await?;
        self.versioned(n, DELIVERY_EXISTS, d.id.as_uuid(), "deliveries")
            .await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_order_deliveries(
        &mut self,
        order_id: Option<OrderId>,
        rider: Option<UserId>,
        open_only: bool,
    ) -> R<Vec<OrderDeliveryRow>> {
        rows(
            self.exec
                .fetch_all(
                    LIST_DELIVERIES,
                    args![self.tenant, order_id, rider, i64::from(open_only)],
                )
                .await?,
            delivery,
        )
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn insert_shift(&mut self, s: &ShiftRow) -> R<()> {
        self.exec
            .execute(
                INSERT_SHIFT,
                args![
                    self.tenant,
                    s.id,
                    s.location_id,
                    s.station_id,
                    s.user_id,
                    s.starts_at,
                    s.ends_at,
                    s.created_at
                ],
            )
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn delete_shift(&mut self, id: Uuid) -> R<bool> {
        Ok(self
            .exec
            .execute(DELETE_SHIFT, args![self.tenant, id])
            .await?
            == 1)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(tenant_id = %self.tenant))]
    async fn list_shifts(
        &mut self,
        location: LocationId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> R<Vec<ShiftRow>> {
        rows(
            self.exec
                .fetch_all(LIST_SHIFTS, args![self.tenant, location, from, to])
                .await?,
            shift,
        )
    }
}

impl<E: Exec> SqlTx<E> {
    async fn insert_template_version(&mut self, v: &WorkflowTemplateVersionRow) -> R<()> {
        self.exec
            .execute(
                INSERT_TEMPLATE_VERSION,
                args![
                    self.tenant,
                    v.template_id,
                    v.version,
                    v.phases,
                    v.created_by,
                    v.created_at
                ],
            )
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use larder_core::kitchen::TaskStatus;

    #[test]
    fn every_status_has_its_own_bit() {
        let all = status_mask(OrderStatus::ALL);
        assert_eq!(all, 63);
        for s in OrderStatus::ALL {
            assert_eq!(status_mask(&[*s]).count_ones(), 1, "{s}");
        }
        assert_eq!(status_mask(&[]), 0);
    }

    #[test]
    fn task_ids_round_trip_through_their_stored_list() {
        let ids = vec![TaskId::new(), TaskId::new()];
        assert_eq!(split_ids(&joined(&ids)).ok(), Some(ids));
        assert_eq!(split_ids("").ok(), Some(vec![]));
        assert!(split_ids("nonsense").is_err());
    }

    #[test]
    fn the_status_list_in_open_tasks_is_every_status_but_done_and_cancelled() {
        for s in TaskStatus::ALL {
            let listed = OPEN_TASKS.contains(&format!("'{}'", s.as_str()));
            let finished = matches!(s, TaskStatus::Done | TaskStatus::Cancelled);
            assert_eq!(listed, !finished, "{s}");
        }
    }
}
