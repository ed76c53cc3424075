//! kitchen: the engine the use cases share: the work already at each station, learned
//! durations, the ETA of an order (`larder_core::kitchen::eta`) and the station a task that
//! became ready is queued at (`larder_core::kitchen::queue`).
//!
//! **Staff.** A location that has planned shifts for the coming day gates each station by who
//! is on shift there (ADR 030: nobody on shift, no new work). A location that plans no shifts
//! at all is taken to be staffed now at every active station: a kitchen that does not use
//! shifts still gets ETAs.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use larder_core::kitchen::durations::WINDOW;
use larder_core::kitchen::{
    Eta, EtaError, PlannedTask, StationLoad, StationState, TaskStatus, choose_station,
    learned_duration, staffed_from,
};
use larder_core::{LocationId, OrderId, StationId, TaskId, WorkflowTemplateId};
use larder_store::{KitchenTaskRow, OpenTaskRow, StationRow, TenantTx};

use crate::AppError;

/// Seconds of work a task still holds at its station at `now`: a queued task its whole
/// estimate, a started one what is left of it (none once overdue), others none.
pub(crate) fn remaining_secs(t: &KitchenTaskRow, now: DateTime<Utc>) -> i64 {
    match t.status {
        TaskStatus::Ready => t.estimate_secs,
        TaskStatus::Started => {
            let spent = t.started_at.map_or(0, |s| (now - s).num_seconds().max(0));
            (t.estimate_secs - spent).max(0)
        }
        _ => 0,
    }
}

/// A location's stations with the work at each and who is on shift: what ETAs and station
/// choice read.
pub(crate) struct Kitchen {
    /// The location's stations, by name.
    pub stations: Vec<StationRow>,
    /// Its open tasks, in queue order.
    pub open: Vec<OpenTaskRow>,
    /// When each station is first staffed from now (`None`: nobody on shift).
    pub staffed: HashMap<StationId, Option<DateTime<Utc>>>,
}

impl Kitchen {
    /// Reads the location's kitchen at `now`.
    pub(crate) async fn read(
        tx: &mut dyn TenantTx,
        location: LocationId,
        now: DateTime<Utc>,
    ) -> Result<Self, AppError> {
        let stations = tx.list_stations(Some(location)).await?;
        let open = tx.open_kitchen_tasks(location).await?;
        let shifts = tx
            .list_shifts(location, now, now + Duration::hours(24))
            .await?;
        let staffed = stations
            .iter()
            .map(|s| {
                let from = if shifts.is_empty() {
                    Some(now)
                } else {
                    let own: Vec<(DateTime<Utc>, DateTime<Utc>)> = shifts
                        .iter()
                        .filter(|sh| sh.station_id == s.id)
                        .map(|sh| (sh.starts_at, sh.ends_at))
                        .collect();
                    staffed_from(now, &own)
                };
                (s.id, from)
            })
            .collect();
        Ok(Self {
            stations,
            open,
            staffed,
        })
    }

    /// The stations as the ETA sees them, without the work of `except` (the order being
    /// estimated).
    pub(crate) fn states(&self, now: DateTime<Utc>, except: Option<OrderId>) -> Vec<StationState> {
        self.stations
            .iter()
            .map(|s| {
                let mut running = Vec::new();
                let mut queued = Vec::new();
                for o in &self.open {
                    let t = &o.task;
                    if t.station_id != Some(s.id) || Some(t.order_id) == except {
                        continue;
                    }
                    match t.status {
                        TaskStatus::Started => running.push(remaining_secs(t, now)),
                        TaskStatus::Ready => queued.push(remaining_secs(t, now)),
                        _ => {}
                    }
                }
                StationState {
                    id: s.id,
                    name: s.name.clone(),
                    station_types: s.station_types.clone(),
                    capacity: u32::try_from(s.capacity).unwrap_or(0),
                    active: s.active,
                    running_secs: running,
                    queued_secs: queued,
                    staffed_from: self.staffed.get(&s.id).copied().flatten(),
                }
            })
            .collect()
    }

    /// The stations as station choice sees them: the remaining work at each.
    pub(crate) fn loads(&self, now: DateTime<Utc>) -> Vec<StationLoad> {
        self.stations
            .iter()
            .map(|s| StationLoad {
                id: s.id,
                name: s.name.clone(),
                station_types: s.station_types.clone(),
                capacity: u32::try_from(s.capacity).unwrap_or(0),
                active: s.active,
                assigned_secs: self
                    .open
                    .iter()
                    .filter(|o| o.task.station_id == Some(s.id))
                    .map(|o| remaining_secs(&o.task, now))
                    .sum(),
            })
            .collect()
    }
}

/// Queues a task that became ready at the least-loaded active station of its type, adding its
/// estimate to that station's load in `loads`; `None` when no active station does its type.
pub(crate) fn queue_at(loads: &mut [StationLoad], t: &KitchenTaskRow) -> Option<StationId> {
    let id = choose_station(loads, &t.station_type)?.id;
    if let Some(l) = loads.iter_mut().find(|l| l.id == id) {
        l.assigned_secs = l.assigned_secs.saturating_add(t.estimate_secs);
    }
    Some(id)
}

/// The tasks of one order to schedule: every task not done or cancelled, with the learned
/// duration at each station of its type where its line has a template (the last 20 samples,
/// ADR 030), dependencies on tasks already done dropped; a started task counts what is left of
/// its estimate.
pub(crate) async fn planned(
    tx: &mut dyn TenantTx,
    kitchen: &Kitchen,
    tasks: &[KitchenTaskRow],
    template_of: &HashMap<larder_core::OrderLineId, WorkflowTemplateId>,
    now: DateTime<Utc>,
) -> Result<Vec<PlannedTask>, AppError> {
    let live: Vec<&KitchenTaskRow> = tasks
        .iter()
        .filter(|t| !matches!(t.status, TaskStatus::Done | TaskStatus::Cancelled))
        .collect();
    let ids: Vec<TaskId> = live.iter().map(|t| t.id).collect();
    let mut out = Vec::with_capacity(live.len());
    // Per-unit learned seconds by (template, task key, station): lines of one template share.
    let mut learned: HashMap<(WorkflowTemplateId, String, StationId), i64> = HashMap::new();
    for t in live {
        let mut station_secs = Vec::new();
        if let (Some(template), TaskStatus::Waiting | TaskStatus::Ready | TaskStatus::Blocked) =
            (template_of.get(&t.line_id), t.status)
        {
            for s in kitchen
                .stations
                .iter()
                .filter(|s| s.station_types.contains(&t.station_type))
            {
                let key = (*template, t.task_key.clone(), s.id);
                let per_unit = match learned.get(&key) {
                    Some(secs) => *secs,
                    None => {
                        let mut samples = tx
                            .recent_task_durations(*template, &t.task_key, s.id, WINDOW as u32)
                            .await?;
                        samples.reverse();
                        let secs = learned_duration(&samples, t.unit_estimate_secs).secs;
                        learned.insert(key, secs);
                        secs
                    }
                };
                station_secs.push((s.id, per_unit.saturating_mul(t.quantity)));
            }
        }
        let duration_secs = if t.status == TaskStatus::Started {
            remaining_secs(t, now)
        } else {
            t.estimate_secs
        };
        out.push(PlannedTask {
            id: t.id,
            station_type: t.station_type.clone(),
            duration_secs,
            station_secs,
            depends_on: t
                .depends_on
                .iter()
                .copied()
                .filter(|d| ids.contains(d))
                .collect(),
        });
    }
    Ok(out)
}

/// An order's ETA now, from its tasks and the rest of the kitchen.
pub(crate) async fn order_eta(
    tx: &mut dyn TenantTx,
    kitchen: &Kitchen,
    order: OrderId,
    tasks: &[KitchenTaskRow],
    template_of: &HashMap<larder_core::OrderLineId, WorkflowTemplateId>,
    now: DateTime<Utc>,
) -> Result<Result<Eta, EtaError>, AppError> {
    let plan = planned(tx, kitchen, tasks, template_of, now).await?;
    Ok(larder_core::kitchen::eta::estimate(
        now,
        &kitchen.states(now, Some(order)),
        &plan,
    ))
}
