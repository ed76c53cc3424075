//! kitchen: the task log, every task state change with when, where and who: the kitchen's open
//! timing data, as pages (`GET /task-log`) and as a CSV file (`GET /task-log/export`).

use chrono::{DateTime, Duration, Utc};
use larder_core::auth::Permission;
use larder_core::kitchen::TaskStatus;
use larder_core::{LocationId, OrderId, StationId, TaskId, UserId};
use larder_store::{KitchenTaskLogFilter, KitchenTaskLogRow, Mode, run_tenant};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::location_in_scope;
use crate::{App, AppError, Page, Principal};

/// The longest period one read covers.
pub const MAX_PERIOD_DAYS: i64 = 366;
/// The most rows one CSV export holds; a longer period is refused (422), never cut short.
pub const MAX_EXPORT_ROWS: usize = 200_000;

/// One task state change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskLogEntry {
    /// Id (UUIDv7).
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// The task.
    pub task_id: TaskId,
    /// Its order.
    pub order_id: OrderId,
    /// The order's location.
    pub location_id: LocationId,
    /// The task's station at the change.
    pub station_id: Option<StationId>,
    /// From.
    pub from_status: TaskStatus,
    /// To.
    pub to_status: TaskStatus,
    /// Who (none: the kitchen engine).
    pub actor: Option<UserId>,
}

impl From<KitchenTaskLogRow> for TaskLogEntry {
    fn from(r: KitchenTaskLogRow) -> Self {
        Self {
            id: r.id,
            at: r.at,
            task_id: r.task_id,
            order_id: r.order_id,
            location_id: r.location_id,
            station_id: r.station_id,
            from_status: r.from_status,
            to_status: r.to_status,
            actor: r.actor,
        }
    }
}

/// Which changes to read: a location's, `at` in `[from, to)`, oldest first.
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskLogQuery {
    /// The location.
    pub location_id: LocationId,
    /// From (inclusive, RFC 3339).
    pub from: DateTime<Utc>,
    /// To (exclusive), at most 366 days after `from`.
    pub to: DateTime<Utc>,
    /// Page size, 1..=500 (default 50); the export ignores it.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`; the export ignores it.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

impl TaskLogQuery {
    fn check(&self) -> Result<(), AppError> {
        if self.to <= self.from {
            return Err(AppError::invalid("to", "must be after from"));
        }
        if self.to - self.from > Duration::days(MAX_PERIOD_DAYS) {
            return Err(AppError::invalid(
                "to",
                "the period covers at most 366 days",
            ));
        }
        Ok(())
    }
}

fn cursor_of(e: &TaskLogEntry) -> String {
    crate::page::encode(&[&e.at.to_rfc3339(), &e.id.to_string()])
}

fn parse_cursor(c: &str) -> Result<(DateTime<Utc>, Uuid), AppError> {
    let parts = crate::page::decode(c, 2)?;
    let at = DateTime::parse_from_rfc3339(&parts[0])
        .map_err(|_| AppError::invalid("cursor", "not a cursor of this list"))?
        .with_timezone(&Utc);
    Ok((at, crate::page::id(&parts[1])?))
}

impl App {
    /// A page of a location's task state changes, oldest first.
    ///
    /// # Errors
    /// 403 without `kitchen.read`; 404 on the location; 422 on `to`, `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn task_log(
        &self,
        p: Principal,
        q: TaskLogQuery,
    ) -> Result<Page<TaskLogEntry>, AppError> {
        p.require(Permission::KitchenRead)?;
        q.check()?;
        let limit = crate::page::limit(q.limit)?;
        let after = q.cursor.as_deref().map(parse_cursor).transpose()?;
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                location_in_scope(tx, &p, q.location_id).await?;
                Ok::<_, AppError>(
                    tx.kitchen_task_log(&KitchenTaskLogFilter {
                        from: q.from,
                        to: q.to,
                        location_id: Some(q.location_id),
                        after,
                        limit: limit + 1,
                    })
                    .await?,
                )
            })
        })
        .await?;
        Ok(crate::page::page(
            rows.into_iter().map(TaskLogEntry::from).collect(),
            limit,
            cursor_of,
        ))
    }

    /// A location's task state changes in the period as CSV (UTF-8, header first): `id, at,
    /// task_id, order_id, location_id, station_id, from_status, to_status, actor`, oldest
    /// first, instants RFC 3339 UTC to the microsecond.
    ///
    /// # Errors
    /// As [`App::task_log`]; 422 on `to` when the period holds more than 200,000 changes.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn export_task_log(&self, p: Principal, q: TaskLogQuery) -> Result<String, AppError> {
        p.require(Permission::KitchenRead)?;
        q.check()?;
        let rows = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                location_in_scope(tx, &p, q.location_id).await?;
                let mut all: Vec<KitchenTaskLogRow> = Vec::new();
                let mut after = None;
                loop {
                    let page = tx
                        .kitchen_task_log(&KitchenTaskLogFilter {
                            from: q.from,
                            to: q.to,
                            location_id: Some(q.location_id),
                            after,
                            limit: 10_000,
                        })
                        .await?;
                    let full = page.len() == 10_000;
                    after = page.last().map(|r| (r.at, r.id));
                    all.extend(page);
                    if all.len() > MAX_EXPORT_ROWS {
                        return Err(AppError::invalid(
                            "to",
                            "the period holds more than 200,000 task changes: export a shorter one",
                        ));
                    }
                    if !full {
                        break;
                    }
                }
                Ok(all)
            })
        })
        .await?;
        let mut w = csv::Writer::from_writer(Vec::new());
        let csv_err = |e: csv::Error| AppError::Internal(e.to_string());
        w.write_record([
            "id",
            "at",
            "task_id",
            "order_id",
            "location_id",
            "station_id",
            "from_status",
            "to_status",
            "actor",
        ])
        .map_err(csv_err)?;
        let opt = |v: Option<String>| v.unwrap_or_default();
        for r in rows {
            w.write_record([
                r.id.to_string(),
                r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                r.task_id.to_string(),
                r.order_id.to_string(),
                r.location_id.to_string(),
                opt(r.station_id.map(|s| s.to_string())),
                r.from_status.as_str().to_owned(),
                r.to_status.as_str().to_owned(),
                opt(r.actor.map(|a| a.to_string())),
            ])
            .map_err(csv_err)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))
    }
}
