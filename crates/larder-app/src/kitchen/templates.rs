//! kitchen: workflow templates, how a menu item (or every item of a category) is made: phases
//! of tasks at station types with estimates, dependencies and subtasks (ADR 030). Each change
//! of the phases appends a version; an order keeps the version its lines started with.

use chrono::{DateTime, Utc};
use larder_core::auth::Permission;
use larder_core::kitchen::{
    Phase, SubtaskTemplate, TaskTemplate, TemplateProblem, WorkflowTemplate, validate,
};
use larder_core::{Code, Label, MenuItemId, WorkflowTemplateId};
use larder_store::{Mode, TenantTx, WorkflowTemplateRow, WorkflowTemplateVersionRow, run_tenant};
use serde::{Deserialize, Serialize};

use super::{CONFLICTS, check_station_type, stale};
use crate::events::EventType;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::{App, AppError, Principal};

/// The most phases of one template.
pub const MAX_PHASES: usize = 20;
/// The most subtasks of one task.
pub const MAX_SUBTASKS: usize = 20;

/// A subtask as written.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubtaskInput {
    /// What to do ("add the cream"), 1..=100 characters.
    pub name: Label,
    /// Whether the task may be completed without it (default false).
    #[serde(default)]
    pub optional: bool,
}

/// A task as written.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    /// Unique within the template (`stretch_dough`); dependencies name it.
    pub key: Code,
    /// What the station's screen shows ("Stretch the dough").
    pub name: Label,
    /// The station type that does it: a type some station of the tenant has.
    pub station_type: String,
    /// How long one unit takes, seconds, 1 to 14 400.
    #[schema(minimum = 1, maximum = 14400)]
    pub estimate_secs: i64,
    /// Keys of the tasks it waits for, in its phase or an earlier one; none: every task of
    /// the previous phase.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub depends_on: Vec<Code>,
    /// Its steps, in order; at most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub subtasks: Vec<SubtaskInput>,
}

/// A phase as written.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhaseInput {
    /// Its name ("prep").
    pub name: Label,
    /// Its tasks.
    #[schema(max_items = 200)]
    pub tasks: Vec<TaskInput>,
}

/// Create or change a workflow template.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowTemplateCommand {
    /// Unique in the tenant, 1..=100 characters.
    pub name: Label,
    /// The menu item it is for (exactly one of this and `category`).
    #[serde(default)]
    pub menu_item_id: Option<MenuItemId>,
    /// The menu category it is for ("Breads"); an item's own template wins over its
    /// category's.
    #[serde(default)]
    pub category: Option<Label>,
    /// Used for new orders (default true); one active template per menu item and per
    /// category.
    #[serde(default)]
    pub active: Option<bool>,
    /// The phases in order; 1 to 20.
    #[schema(min_items = 1, max_items = 20)]
    pub phases: Vec<PhaseInput>,
}

impl WorkflowTemplateCommand {
    /// The phases as the domain reads them, after the checks JSON Schema cannot make.
    fn template(&self) -> Result<WorkflowTemplate, AppError> {
        if self.menu_item_id.is_some() == self.category.is_some() {
            return Err(AppError::invalid(
                "menu_item_id",
                "give either a menu item or a category, not both or neither",
            ));
        }
        if self.phases.is_empty() || self.phases.len() > MAX_PHASES {
            return Err(AppError::invalid("phases", "give 1 to 20 phases"));
        }
        let mut phases = Vec::with_capacity(self.phases.len());
        for (i, ph) in self.phases.iter().enumerate() {
            let mut tasks = Vec::with_capacity(ph.tasks.len());
            for (j, t) in ph.tasks.iter().enumerate() {
                let at = format!("phases[{i}].tasks[{j}]");
                check_station_type(&format!("{at}.station_type"), &t.station_type)?;
                if t.subtasks.len() > MAX_SUBTASKS {
                    return Err(AppError::invalid(
                        format!("{at}.subtasks"),
                        "a task has at most 20 subtasks",
                    ));
                }
                tasks.push(TaskTemplate {
                    key: t.key.as_str().to_owned(),
                    name: t.name.as_str().to_owned(),
                    station_type: t.station_type.clone(),
                    estimate_secs: t.estimate_secs,
                    depends_on: t.depends_on.iter().map(|d| d.as_str().to_owned()).collect(),
                    subtasks: t
                        .subtasks
                        .iter()
                        .map(|s| SubtaskTemplate {
                            name: s.name.as_str().to_owned(),
                            optional: s.optional,
                        })
                        .collect(),
                });
            }
            phases.push(Phase {
                name: ph.name.as_str().to_owned(),
                tasks,
            });
        }
        Ok(WorkflowTemplate {
            name: self.name.as_str().to_owned(),
            phases,
        })
    }
}

/// A workflow template with the phases of one version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkflowTemplateView {
    /// Id.
    pub id: WorkflowTemplateId,
    /// Name.
    pub name: String,
    /// The menu item it is for.
    pub menu_item_id: Option<MenuItemId>,
    /// The category it is for.
    pub category: Option<String>,
    /// Used for new orders.
    pub active: bool,
    /// The version new orders use.
    pub current_version: i64,
    /// The version whose phases follow.
    pub phases_version: i64,
    /// Its phases.
    pub phases: Vec<Phase>,
    /// When that version was written.
    pub phases_created_at: DateTime<Utc>,
    /// For `If-Match`.
    pub version: i64,
}

/// Refuses a template with problems as one 422 that names every task at fault (the field is
/// the first problem's task's place, or `phases`).
fn problems_error(t: &WorkflowTemplate, problems: &[TemplateProblem]) -> AppError {
    let field = problems
        .iter()
        .find_map(TemplateProblem::task)
        .and_then(|key| {
            t.phases.iter().enumerate().find_map(|(i, ph)| {
                ph.tasks
                    .iter()
                    .position(|task| task.key == key)
                    .map(|j| format!("phases[{i}].tasks[{j}]"))
            })
        })
        .unwrap_or_else(|| "phases".to_owned());
    let message = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    AppError::invalid(field, message)
}

/// Checks the template's structure and station types against the tenant's stations.
async fn check(tx: &mut dyn TenantTx, t: &WorkflowTemplate) -> Result<(), AppError> {
    let mut types: Vec<String> = tx
        .list_stations(None)
        .await?
        .into_iter()
        .flat_map(|s| s.station_types)
        .collect();
    types.sort();
    types.dedup();
    validate(t, &types).map_err(|p| problems_error(t, &p))
}

async fn check_target(
    tx: &mut dyn TenantTx,
    menu_item: Option<MenuItemId>,
) -> Result<(), AppError> {
    if let Some(m) = menu_item {
        tx.get_menu_item(m)
            .await?
            .ok_or(AppError::NotFound("menu item"))?;
    }
    Ok(())
}

fn phases_json(t: &WorkflowTemplate) -> Result<String, AppError> {
    serde_json::to_string(&t.phases).map_err(|e| AppError::Internal(e.to_string()))
}

/// A stored version's phases.
pub(crate) fn parse_phases(v: &WorkflowTemplateVersionRow) -> Result<Vec<Phase>, AppError> {
    serde_json::from_str(&v.phases).map_err(|e| {
        AppError::Internal(format!(
            "template {} version {}: {e}",
            v.template_id, v.version
        ))
    })
}

fn view(
    row: WorkflowTemplateRow,
    v: &WorkflowTemplateVersionRow,
) -> Result<WorkflowTemplateView, AppError> {
    Ok(WorkflowTemplateView {
        phases: parse_phases(v)?,
        phases_version: v.version,
        phases_created_at: v.created_at,
        id: row.id,
        name: row.name,
        menu_item_id: row.menu_item_id,
        category: row.category,
        active: row.active,
        current_version: row.current_version,
        version: row.version,
    })
}

async fn load(
    tx: &mut dyn TenantTx,
    id: WorkflowTemplateId,
    version: Option<i64>,
) -> Result<WorkflowTemplateView, AppError> {
    let row = tx
        .get_workflow_template(id)
        .await?
        .ok_or(AppError::NotFound("workflow template"))?;
    let v = tx
        .workflow_template_version(id, version.unwrap_or(row.current_version))
        .await?
        .ok_or(AppError::NotFound("workflow template version"))?;
    view(row, &v)
}

impl App {
    /// Creates a workflow template with its first version.
    ///
    /// # Errors
    /// 403 without `kitchen.manage`; 404 on `menu_item_id`; 422 on a field, or naming every
    /// task at fault (a cycle, a dependency on a missing task or a later phase, a station
    /// type no station has, an estimate out of range); 409 on `name`, or on `menu_item_id` /
    /// `category` when another active template is for it.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_workflow_template(
        &self,
        p: Principal,
        cmd: WorkflowTemplateCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<WorkflowTemplateView>, AppError> {
        p.require(Permission::KitchenManage)?;
        let template = cmd.template()?;
        let json = phases_json(&template)?;
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            EventType::WorkflowTemplateCreated,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    check_target(tx, c.menu_item_id).await?;
                    check(tx, &template).await?;
                    let now = super::now();
                    let row = WorkflowTemplateRow {
                        id: WorkflowTemplateId::new(),
                        name: template.name.clone(),
                        menu_item_id: c.menu_item_id,
                        category: c.category.as_ref().map(|l| l.as_str().to_owned()),
                        current_version: 1,
                        active: c.active.unwrap_or(true),
                        created_at: now,
                        updated_at: now,
                        version: 1,
                    };
                    let first = WorkflowTemplateVersionRow {
                        template_id: row.id,
                        version: 1,
                        phases: json,
                        created_by: Some(p.user_id),
                        created_at: now,
                    };
                    tx.insert_workflow_template(&row, &first).await?;
                    view(row, &first)
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// The tenant's workflow templates by name, each with its current phases.
    ///
    /// # Errors
    /// 403 without `kitchen.read`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_workflow_templates(
        &self,
        p: Principal,
    ) -> Result<Vec<WorkflowTemplateView>, AppError> {
        p.require(Permission::KitchenRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.list_workflow_templates().await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let v = tx
                        .workflow_template_version(r.id, r.current_version)
                        .await?
                        .ok_or(AppError::Internal(format!(
                            "template {} has no version {}",
                            r.id, r.current_version
                        )))?;
                    out.push(view(r, &v)?);
                }
                Ok(out)
            })
        })
        .await
    }

    /// A workflow template with the phases of `version` (default: the current one).
    ///
    /// # Errors
    /// 403 without `kitchen.read`; 404 on the template or the version.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_workflow_template(
        &self,
        p: Principal,
        id: WorkflowTemplateId,
        version: Option<i64>,
    ) -> Result<WorkflowTemplateView, AppError> {
        p.require(Permission::KitchenRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move { load(tx, id, version).await })
        })
        .await
    }

    /// Changes a workflow template when `if_match` is its version. Phases that differ from the
    /// current version's are appended as a new version, which new orders use; orders in
    /// flight keep theirs.
    ///
    /// # Errors
    /// As creating; 412 when stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_workflow_template(
        &self,
        p: Principal,
        id: WorkflowTemplateId,
        cmd: WorkflowTemplateCommand,
        if_match: Option<i64>,
    ) -> Result<WorkflowTemplateView, AppError> {
        p.require(Permission::KitchenManage)?;
        let template = cmd.template()?;
        let json = phases_json(&template)?;
        crate::events::write(
            self.db(),
            &p,
            EventType::WorkflowTemplateUpdated,
            move |tx| {
                Box::pin(async move {
                    let current = tx
                        .get_workflow_template(id)
                        .await?
                        .ok_or(AppError::NotFound("workflow template"))?;
                    if if_match.is_some_and(|v| v != current.version) {
                        return Err(AppError::PreconditionFailed("workflow template"));
                    }
                    check_target(tx, cmd.menu_item_id).await?;
                    check(tx, &template).await?;
                    let old = tx
                        .workflow_template_version(id, current.current_version)
                        .await?
                        .ok_or(AppError::NotFound("workflow template version"))?;
                    let now = super::now();
                    let changed = parse_phases(&old)? != template.phases;
                    let row = WorkflowTemplateRow {
                        name: template.name.clone(),
                        menu_item_id: cmd.menu_item_id,
                        category: cmd.category.as_ref().map(|l| l.as_str().to_owned()),
                        active: cmd.active.unwrap_or(current.active),
                        current_version: current.current_version + i64::from(changed),
                        updated_at: now,
                        version: current.version + 1,
                        ..current
                    };
                    let new_version = changed.then_some(WorkflowTemplateVersionRow {
                        template_id: id,
                        version: row.current_version,
                        phases: json,
                        created_by: Some(p.user_id),
                        created_at: now,
                    });
                    tx.update_workflow_template(&row, new_version.as_ref())
                        .await
                        .map_err(stale("workflow_templates", "workflow template"))?;
                    view(row, new_version.as_ref().unwrap_or(&old))
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }
}
