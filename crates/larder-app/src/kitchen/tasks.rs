//! kitchen: moving tasks, what the kitchen display's bump does. A task is started, completed
//! (recording who and how long: a sample of its learned duration), blocked with a reason,
//! un-started or recalled; the tasks it unblocks are queued at stations, the order's status
//! follows its tasks and its ETA is computed again (ADR 030 and 032).
//!
//! A move to the state a task is already in (a double tap, a retried request) changes and
//! records nothing and answers the task as it is.

use chrono::Utc;
use larder_core::auth::Permission;
use larder_core::kitchen::durations::per_unit_secs;
use larder_core::kitchen::{OrderStatus, Step, TaskStatus, TransitionError};
use larder_core::{Label, LocationId, TaskId};
use larder_store::{KitchenOrderRow, KitchenTaskRow, Mode, TaskDurationRow, TenantTx, run_tenant};
use serde::{Deserialize, Serialize};

use super::engine::{Kitchen, order_eta, queue_at};
use super::orders::{
    OrderSummary, Subtask, Task, emit_eta, eta_problem, log_entry, order_view, templates_of,
};
use super::{stale, task_in_scope};
use crate::events::EventType;
use crate::{App, AppError, Principal};

/// Move a task.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskMoveCommand {
    /// Where to: `started` (bump), `done` (bump again), `ready` (un-start, or unblock),
    /// `blocked` (with a reason) or `waiting` (unblock a task whose dependencies are not
    /// done). `done -> started` recalls a bumped ticket.
    pub status: TaskStatus,
    /// Why it is blocked; required with `blocked`.
    #[serde(default)]
    pub reason: Option<Label>,
}

/// Tick a subtask off, or untick it.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubtaskCommand {
    /// Ticked off.
    pub done: bool,
}

/// A task after a move, with its order as it now is and the tasks the move queued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskMoved {
    /// The task's id (the audit record's target).
    pub id: TaskId,
    /// The order's location.
    pub location_id: LocationId,
    /// The task.
    pub task: Task,
    /// Its order.
    pub order: OrderSummary,
    /// Tasks that became ready and were queued at stations by this move.
    pub queued: Vec<Task>,
    /// Whether anything changed (false for a repeated move).
    pub moved: bool,
}

/// 409 for a move the task's state machine does not have, naming the dependencies not done
/// when it is a move forward (a waiting task bumped to `started` waits for them too).
fn refused(e: TransitionError, task: &KitchenTaskRow, all: &[KitchenTaskRow]) -> AppError {
    let forward = |to: TaskStatus| {
        matches!(
            to,
            TaskStatus::Ready | TaskStatus::Started | TaskStatus::Done
        )
    };
    let blocked_by_deps = task.depends_on.iter().any(|d| {
        all.iter()
            .any(|t| t.id == *d && t.status != TaskStatus::Done)
    });
    match e {
        TransitionError::DependenciesNotDone { to, .. } | TransitionError::Task { to, .. }
            if forward(to) && blocked_by_deps =>
        {
            let names: Vec<String> = task
                .depends_on
                .iter()
                .filter_map(|d| all.iter().find(|t| t.id == *d))
                .filter(|t| t.status != TaskStatus::Done)
                .map(|t| format!("'{}'", t.name))
                .collect();
            AppError::conflict(
                "status",
                format!(
                    "'{}' cannot be {to} before {} {} done",
                    task.name,
                    names.join(", "),
                    if names.len() == 1 { "is" } else { "are" }
                ),
            )
        }
        e => AppError::conflict("status", e.to_string()),
    }
}

fn subtasks(t: &KitchenTaskRow) -> Result<Vec<Subtask>, AppError> {
    serde_json::from_str(&t.subtasks).map_err(|e| AppError::Internal(format!("task {}: {e}", t.id)))
}

/// Moves `task` of `order` to `to` at `now` in `tx` (module doc): what [`App::move_task`]
/// runs, and the demo replay with simulated time. Records the task log, a duration sample,
/// the queued tasks, the order's status and ETA, and the events, when something moved.
pub(crate) async fn move_task_at(
    tx: &mut dyn TenantTx,
    p: &Principal,
    task: KitchenTaskRow,
    order: KitchenOrderRow,
    cmd: &TaskMoveCommand,
    now: chrono::DateTime<Utc>,
) -> Result<TaskMoved, AppError> {
    let to = cmd.status;
    if matches!(to, TaskStatus::Cancelled) {
        return Err(AppError::invalid(
            "status",
            "a task is cancelled with its order (POST /orders/{id}/cancel)",
        ));
    }
    if !matches!(
        order.status,
        OrderStatus::New | OrderStatus::Preparing | OrderStatus::Ready
    ) {
        return Err(AppError::conflict(
            "status",
            format!("the order is {}; its tasks cannot move", order.status),
        ));
    }
    let reason = match (to, &cmd.reason) {
        (TaskStatus::Blocked, Some(r)) => Some(r.as_str().to_owned()),
        (TaskStatus::Blocked, None) => {
            return Err(AppError::invalid("reason", "say why the task is blocked"));
        }
        _ => None,
    };
    let all = tx.kitchen_order_tasks(order.id).await?;
    let deps_done = task.depends_on.iter().all(|d| {
        all.iter()
            .any(|t| t.id == *d && t.status == TaskStatus::Done)
    });
    let from = match task
        .status
        .transition(to, deps_done)
        .map_err(|e| refused(e, &task, &all))?
    {
        Step::Unchanged(_) => {
            return Ok(TaskMoved {
                id: task.id,
                location_id: order.location_id,
                task: Task::try_from(&task)?,
                order: OrderSummary::from(order),
                queued: Vec::new(),
                moved: false,
            });
        }
        Step::Moved { from, .. } => from,
    };
    let steps = subtasks(&task)?;
    if let Some(s) = steps
        .iter()
        .find(|s| to == TaskStatus::Done && !s.optional && !s.done)
    {
        return Err(AppError::conflict(
            "status",
            format!(
                "'{}' is not ticked off: '{}' cannot be done yet",
                s.name, task.name
            ),
        ));
    }
    let kitchen = Kitchen::read(tx, order.location_id, now).await?;
    let mut loads = kitchen.loads(now);
    let mut row = KitchenTaskRow {
        status: to,
        updated_at: now,
        version: task.version + 1,
        ..task.clone()
    };
    match (from, to) {
        (_, TaskStatus::Started) if from != TaskStatus::Done => {
            row.started_at = Some(now);
            row.started_by = Some(p.user_id);
        }
        (TaskStatus::Done, TaskStatus::Started) => {
            row.done_at = None;
            row.done_by = None;
        }
        (_, TaskStatus::Done) => {
            row.done_at = Some(now);
            row.done_by = Some(p.user_id);
        }
        (TaskStatus::Started | TaskStatus::Blocked, TaskStatus::Ready | TaskStatus::Waiting) => {
            row.started_at = None;
            row.started_by = None;
        }
        _ => {}
    }
    row.blocked_reason = reason;
    if to == TaskStatus::Waiting {
        if deps_done {
            return Err(AppError::conflict(
                "status",
                format!("'{}' waits for nothing: unblock it to ready", task.name),
            ));
        }
        row.station_id = None;
        row.queued_at = None;
    }
    if matches!(to, TaskStatus::Ready | TaskStatus::Started) && row.station_id.is_none() {
        row.station_id = queue_at(&mut loads, &row);
        row.queued_at = Some(now);
    }
    tx.update_kitchen_task(&row)
        .await
        .map_err(stale("kitchen_tasks", "task"))?;
    let mut log = vec![log_entry(
        &row,
        order.location_id,
        from,
        now,
        Some(p.user_id),
    )];
    // A recalled ticket takes back the tasks it had let through: those queued go back to
    // waiting; one already started or done refuses the recall.
    let mut requeued = Vec::new();
    if (from, to) == (TaskStatus::Done, TaskStatus::Started) {
        for d in all.iter().filter(|t| t.depends_on.contains(&row.id)) {
            match d.status {
                TaskStatus::Started | TaskStatus::Done => {
                    return Err(AppError::conflict(
                        "status",
                        format!(
                            "'{}' cannot be recalled: '{}' after it is already {}",
                            task.name, d.name, d.status
                        ),
                    ));
                }
                TaskStatus::Ready => {
                    let back = KitchenTaskRow {
                        status: TaskStatus::Waiting,
                        station_id: None,
                        queued_at: None,
                        updated_at: now,
                        version: d.version + 1,
                        ..d.clone()
                    };
                    tx.update_kitchen_task(&back)
                        .await
                        .map_err(stale("kitchen_tasks", "task"))?;
                    log.push(log_entry(
                        &back,
                        order.location_id,
                        TaskStatus::Ready,
                        now,
                        Some(p.user_id),
                    ));
                    requeued.push(back);
                }
                _ => {}
            }
        }
    }

    let lines = tx.kitchen_order_lines(order.id).await?;
    let template_of = templates_of(&lines);
    // A finished task is a sample of its learned duration (once per task: a recalled and
    // re-bumped ticket keeps its first).
    let sample = match (
        to,
        template_of.get(&row.line_id),
        row.station_id,
        row.started_at,
    ) {
        (TaskStatus::Done, Some(template), Some(station), Some(started)) => {
            per_unit_secs((now - started).num_seconds(), row.quantity).map(|per_unit| {
                TaskDurationRow {
                    task_id: row.id,
                    template_id: *template,
                    task_key: row.task_key.clone(),
                    station_id: station,
                    per_unit_secs: per_unit,
                    done_at: now,
                }
            })
        }
        _ => None,
    };
    if let Some(d) = sample {
        tx.insert_task_duration(&d).await?;
    }

    // The tasks this one unblocked.
    let mut tasks: Vec<KitchenTaskRow> = all
        .into_iter()
        .map(|t| {
            if t.id == row.id {
                row.clone()
            } else {
                requeued.iter().find(|b| b.id == t.id).cloned().unwrap_or(t)
            }
        })
        .collect();
    let mut queued = Vec::new();
    if to == TaskStatus::Done {
        let ready: Vec<usize> = tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                t.status == TaskStatus::Waiting
                    && t.depends_on.iter().all(|d| {
                        tasks
                            .iter()
                            .any(|u| u.id == *d && u.status == TaskStatus::Done)
                    })
            })
            .map(|(i, _)| i)
            .collect();
        for i in ready {
            let mut t = tasks[i].clone();
            t.status = TaskStatus::Ready;
            if t.station_id.is_none() {
                t.station_id = queue_at(&mut loads, &t);
            }
            t.queued_at = Some(now);
            t.updated_at = now;
            t.version += 1;
            tx.update_kitchen_task(&t)
                .await
                .map_err(stale("kitchen_tasks", "task"))?;
            log.push(log_entry(
                &t,
                order.location_id,
                TaskStatus::Waiting,
                now,
                Some(p.user_id),
            ));
            queued.push(Task::try_from(&t)?);
            tasks[i] = t;
        }
    }
    tx.insert_kitchen_task_log(&log).await?;

    // The order follows its tasks; its ETA is computed again.
    let statuses: Vec<TaskStatus> = tasks.iter().map(|t| t.status).collect();
    let status = larder_core::kitchen::orders::order_status_from_tasks(order.status, &statuses);
    let (eta, problem) = if status == OrderStatus::Ready {
        (None, None)
    } else {
        match order_eta(tx, &kitchen, order.id, &tasks, &template_of, now).await? {
            Ok(e) => (Some(e), None),
            Err(e) => (None, Some(eta_problem(&e, &tasks))),
        }
    };
    let updated = KitchenOrderRow {
        status,
        started_at: order
            .started_at
            .or_else(|| (status != OrderStatus::New).then_some(row.started_at.unwrap_or(now))),
        ready_at: if status == OrderStatus::Ready {
            order.ready_at.or(Some(now))
        } else {
            None
        },
        eta_at: if status == OrderStatus::Ready {
            order.ready_at.or(Some(now))
        } else {
            eta.as_ref().map(|e| e.ready_at)
        },
        updated_at: now,
        version: order.version + 1,
        ..order
    };
    tx.update_kitchen_order(&updated)
        .await
        .map_err(stale("kitchen_orders", "order"))?;
    // Made ready: its items leave stock through their recipes, once (`stock`).
    if status == OrderStatus::Ready {
        super::stock::deplete(tx, &updated, &lines, Some(p.user_id), now).await?;
    }
    let answer = TaskMoved {
        id: row.id,
        location_id: updated.location_id,
        task: Task::try_from(&row)?,
        order: OrderSummary::from(updated.clone()),
        queued,
        moved: true,
    };
    crate::events::emit(
        tx,
        p,
        EventType::TaskChanged,
        crate::events::to_json(&answer)?,
    )
    .await?;
    if status != OrderStatus::Ready {
        let view = order_view(tx, updated, problem).await?;
        emit_eta(tx, p, &view, eta.as_ref()).await?;
    }
    Ok(answer)
}

impl App {
    /// Moves a task (module doc): the kitchen display's bump.
    ///
    /// # Errors
    /// 403 without `kitchen.work`; 404 (another tenant's task included); 422 on `status`
    /// (`cancelled`) or `reason` (blocking without one); 409 for a move the task cannot make,
    /// naming the dependencies not done, or a required subtask not ticked, or when the order
    /// is delivered or cancelled.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn move_task(
        &self,
        p: Principal,
        id: TaskId,
        cmd: TaskMoveCommand,
    ) -> Result<TaskMoved, AppError> {
        p.require(Permission::KitchenWork)?;
        // Two cooks bumping tasks of one order at once race on the order's version; the loser
        // reads again and moves from what it finds (a concurrent double tap then answers
        // `moved: false`).
        let mut attempt = 0;
        loop {
            let cmd = cmd.clone();
            let result = run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
                Box::pin(async move {
                    let (task, order) = task_in_scope(tx, &p, id).await?;
                    move_task_at(tx, &p, task, order, &cmd, super::now()).await
                })
            })
            .await;
            match result {
                Err(AppError::PreconditionFailed(_)) if attempt < 3 => attempt += 1,
                other => return other,
            }
        }
    }

    /// Ticks subtask `index` (from 0) of a task off, or unticks it.
    ///
    /// # Errors
    /// 403 without `kitchen.work`; 404 on the task or the index; 409 when the task is done
    /// or cancelled.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn tick_subtask(
        &self,
        p: Principal,
        id: TaskId,
        index: usize,
        cmd: SubtaskCommand,
    ) -> Result<TaskMoved, AppError> {
        p.require(Permission::KitchenWork)?;
        run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                let (task, order) = task_in_scope(tx, &p, id).await?;
                if matches!(task.status, TaskStatus::Done | TaskStatus::Cancelled) {
                    return Err(AppError::conflict(
                        "status",
                        format!("the task is {}; its steps cannot change", task.status),
                    ));
                }
                let mut steps = subtasks(&task)?;
                let step = steps.get_mut(index).ok_or(AppError::NotFound("subtask"))?;
                if step.done == cmd.done {
                    return Ok(TaskMoved {
                        id: task.id,
                        location_id: order.location_id,
                        task: Task::try_from(&task)?,
                        order: OrderSummary::from(order),
                        queued: Vec::new(),
                        moved: false,
                    });
                }
                step.done = cmd.done;
                let row = KitchenTaskRow {
                    subtasks: serde_json::to_string(&steps)
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                    updated_at: super::now(),
                    version: task.version + 1,
                    ..task
                };
                tx.update_kitchen_task(&row)
                    .await
                    .map_err(stale("kitchen_tasks", "task"))?;
                let answer = TaskMoved {
                    id: row.id,
                    location_id: order.location_id,
                    task: Task::try_from(&row)?,
                    order: OrderSummary::from(order),
                    queued: Vec::new(),
                    moved: true,
                };
                crate::events::emit(
                    tx,
                    &p,
                    EventType::TaskChanged,
                    crate::events::to_json(&answer)?,
                )
                .await?;
                Ok(answer)
            })
        })
        .await
    }
}
