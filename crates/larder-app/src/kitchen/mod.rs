//! kitchen: stations and their queues, versioned workflow templates, customer orders with the
//! tasks their items are made of, bumps from the kitchen display, and the ready time quoted
//! and kept up to date (issue 11; ADR 030 for the rules, 031 for storage, 032 for these use
//! cases).
//!
//! Durations are whole seconds, money millionths of the tenant's currency (as strings on the
//! wire), instants UTC. Every write runs in one transaction and records its event; a task's
//! move also records an `kitchen.order_eta_recalculated` event with the order's new ETA.

pub mod dashboard;
pub mod engine;
pub mod orders;
pub mod shifts;
pub mod stations;
pub mod stock;
pub mod task_log;
pub mod tasks;
pub mod templates;

use larder_core::{OrderId, StationId, TaskId};
use larder_store::{KitchenOrderRow, KitchenTaskRow, StationRow, StoreError, TenantTx};

use crate::error::Conflicts;
use crate::tenancy::require_location;
use crate::tenancy::storage_areas::location_in_scope;
use crate::{AppError, Principal};

/// The kitchen's constraints, by the field clients write.
const CONFLICTS: Conflicts = Conflicts(&[
    ("stations_name", "name"),
    ("workflow_templates_name", "name"),
    ("workflow_templates_menu_item_id", "menu_item_id"),
    ("workflow_templates_category", "category"),
]);

/// A station the caller may see (its location in their scope), or 404.
async fn station_in_scope(
    tx: &mut dyn TenantTx,
    p: &Principal,
    id: StationId,
) -> Result<StationRow, AppError> {
    let s = tx
        .get_station(id)
        .await?
        .ok_or(AppError::NotFound("station"))?;
    require_location(tx, p.locations, s.location_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound("station"),
            e => e,
        })?;
    Ok(s)
}

/// An order the caller may see (its location in their scope), or 404.
async fn order_in_scope(
    tx: &mut dyn TenantTx,
    p: &Principal,
    id: OrderId,
) -> Result<KitchenOrderRow, AppError> {
    let o = tx
        .get_kitchen_order(id)
        .await?
        .ok_or(AppError::NotFound("order"))?;
    require_location(tx, p.locations, o.location_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound("order"),
            e => e,
        })?;
    Ok(o)
}

/// A task the caller may see (its order's location in their scope) with its order, or 404.
async fn task_in_scope(
    tx: &mut dyn TenantTx,
    p: &Principal,
    id: TaskId,
) -> Result<(KitchenTaskRow, KitchenOrderRow), AppError> {
    let t = tx
        .get_kitchen_task(id)
        .await?
        .ok_or(AppError::NotFound("task"))?;
    let o = order_in_scope(tx, p, t.order_id)
        .await
        .map_err(|e| match e {
            AppError::NotFound(_) => AppError::NotFound("task"),
            e => e,
        })?;
    Ok((t, o))
}

/// A stale optimistic write of `table` as a 412 naming `what`.
fn stale(table: &'static str, what: &'static str) -> impl Fn(StoreError) -> AppError {
    move |e| match e {
        StoreError::Conflict { constraint } if constraint == format!("{table}_version") => {
            AppError::PreconditionFailed(what)
        }
        e => e.into(),
    }
}

/// Checks a station type code: 1 to 32 of `a-z`, `0-9` and `_` (`tandoor`, `rice_bread`).
fn check_station_type(field: &str, code: &str) -> Result<(), AppError> {
    let ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(
            field,
            format!("'{code}' is not a station type: 1 to 32 of a-z, 0-9 and _"),
        ))
    }
}

/// Now, to the microsecond: what both backends store, so an answer shows the instants a later
/// read gives back.
fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}
