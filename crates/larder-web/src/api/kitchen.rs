//! kitchen: stations (`/locations/{id}/stations`, `/stations/{id}` and its `/queue`), workflow
//! templates (`/workflow-templates`), customer orders (`/locations/{id}/orders`,
//! `/orders/{id}` and its `/cancel`) and task moves, the kitchen display's bump
//! (`/tasks/{id}/status`, `/tasks/{id}/subtasks/{index}`).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::kitchen::orders::{
    CancelOrderCommand, OrderCommand, OrderQuery, OrderUpdateCommand,
};
use larder_app::kitchen::shifts::{ShiftCommand, ShiftsQuery};
use larder_app::kitchen::stations::StationCommand;
use larder_app::kitchen::task_log::TaskLogQuery;
use larder_app::kitchen::tasks::{SubtaskCommand, TaskMoveCommand};
use larder_app::kitchen::templates::WorkflowTemplateCommand;
use larder_core::{LocationId, OrderId, StationId, TaskId, WorkflowTemplateId};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{created, with_etag};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey, IfMatch};

/// The kitchen's routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stations, create_station))
        .routes(routes!(get_station, update_station))
        .routes(routes!(station_queue))
        .routes(routes!(list_workflow_templates, create_workflow_template))
        .routes(routes!(get_workflow_template, update_workflow_template))
        .routes(routes!(list_orders, create_order))
        .routes(routes!(get_order, update_order))
        .routes(routes!(cancel_order))
        .routes(routes!(move_task))
        .routes(routes!(tick_subtask))
        .routes(routes!(plan_shift))
        .routes(routes!(remove_shift))
        .routes(routes!(shifts_today))
        .routes(routes!(task_log))
        .routes(routes!(export_task_log))
        .routes(routes!(kitchen_dashboard))
}

#[utoipa::path(get, path = "/locations/{id}/stations", tag = "kitchen", params(("id" = LocationId, Path)), responses((status = 200, description = "The location's stations by name", body = Vec<larder_app::kitchen::stations::Station>)), security(("bearer" = [])))]
pub(crate) async fn list_stations(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<LocationId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_stations(p, id).await?).into_response())
}

#[utoipa::path(post, path = "/locations/{id}/stations", tag = "kitchen", params(("id" = LocationId, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = StationCommand, responses((status = 201, description = "Created", body = larder_app::kitchen::stations::Station)), security(("bearer" = [])))]
pub(crate) async fn create_station(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiPath(id): ApiPath<LocationId>,
    ApiJson(cmd): ApiJson<StationCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_station(p, id, cmd, k).await?;
    let location = format!("/api/v1/stations/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/stations/{id}", tag = "kitchen", params(("id" = StationId, Path)), responses((status = 200, description = "The station, with its version as ETag", body = larder_app::kitchen::stations::Station)), security(("bearer" = [])))]
pub(crate) async fn get_station(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<StationId>,
) -> ApiResult<Response> {
    let st = s.app.get_station(p, id).await?;
    Ok(with_etag(st.version, st))
}

#[utoipa::path(put, path = "/stations/{id}", tag = "kitchen", params(("id" = StationId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = StationCommand, responses((status = 200, description = "Changed", body = larder_app::kitchen::stations::Station), (status = 409, description = "Another station of the location has that name", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_station(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<StationId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<StationCommand>,
) -> ApiResult<Response> {
    let st = s.app.update_station(p, id, cmd, v).await?;
    Ok(with_etag(st.version, st))
}

#[utoipa::path(get, path = "/stations/{id}/queue", tag = "kitchen", params(("id" = StationId, Path)), responses((status = 200, description = "What the station is working on, then what waits, in queue order, with its load", body = larder_app::kitchen::stations::StationQueue)), security(("bearer" = [])))]
pub(crate) async fn station_queue(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<StationId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.station_queue(p, id).await?).into_response())
}

#[utoipa::path(get, path = "/workflow-templates", tag = "kitchen", responses((status = 200, description = "The tenant's workflow templates by name, each with its current phases", body = Vec<larder_app::kitchen::templates::WorkflowTemplateView>)), security(("bearer" = [])))]
pub(crate) async fn list_workflow_templates(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_workflow_templates(p).await?).into_response())
}

#[utoipa::path(post, path = "/workflow-templates", tag = "kitchen", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = WorkflowTemplateCommand, responses((status = 201, description = "Created with its first version", body = larder_app::kitchen::templates::WorkflowTemplateView)), security(("bearer" = [])))]
pub(crate) async fn create_workflow_template(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<WorkflowTemplateCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_workflow_template(p, cmd, k).await?;
    let location = format!("/api/v1/workflow-templates/{}", r.value.id);
    Ok(created(r, location))
}

/// Which version of a template to read.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateVersionQuery {
    /// The version whose phases to show (default: the current one).
    #[param(minimum = 1)]
    version: Option<i64>,
}

#[utoipa::path(get, path = "/workflow-templates/{id}", tag = "kitchen", params(("id" = WorkflowTemplateId, Path), TemplateVersionQuery), responses((status = 200, description = "The template with the phases of the version asked for, with its version as ETag", body = larder_app::kitchen::templates::WorkflowTemplateView)), security(("bearer" = [])))]
pub(crate) async fn get_workflow_template(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<WorkflowTemplateId>,
    ApiQuery(q): ApiQuery<TemplateVersionQuery>,
) -> ApiResult<Response> {
    let t = s.app.get_workflow_template(p, id, q.version).await?;
    Ok(with_etag(t.version, t))
}

#[utoipa::path(put, path = "/workflow-templates/{id}", tag = "kitchen", params(("id" = WorkflowTemplateId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = WorkflowTemplateCommand, responses((status = 200, description = "Changed; new phases are a new version, which new orders use", body = larder_app::kitchen::templates::WorkflowTemplateView), (status = 409, description = "The name is taken, or another active template is for the menu item or category", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_workflow_template(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<WorkflowTemplateId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<WorkflowTemplateCommand>,
) -> ApiResult<Response> {
    let t = s.app.update_workflow_template(p, id, cmd, v).await?;
    Ok(with_etag(t.version, t))
}

#[utoipa::path(get, path = "/locations/{id}/orders", tag = "kitchen", params(("id" = LocationId, Path), OrderQuery), responses((status = 200, description = "The location's orders, newest first", body = larder_app::page::Page<larder_app::kitchen::orders::OrderSummary>)), security(("bearer" = [])))]
pub(crate) async fn list_orders(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<LocationId>,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_orders(p, id, q).await?).into_response())
}

#[utoipa::path(post, path = "/locations/{id}/orders", tag = "kitchen", params(("id" = LocationId, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first order and takes no other")), request_body = OrderCommand, responses((status = 201, description = "Taken: numbered, its tasks queued at stations and its ready time quoted", body = larder_app::kitchen::orders::Order)), security(("bearer" = [])))]
pub(crate) async fn create_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiPath(id): ApiPath<LocationId>,
    ApiJson(cmd): ApiJson<OrderCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_order(p, id, cmd, k).await?;
    let location = format!("/api/v1/orders/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/orders/{id}", tag = "kitchen", params(("id" = OrderId, Path)), responses((status = 200, description = "The order with its lines and tasks, with its version as ETag", body = larder_app::kitchen::orders::Order)), security(("bearer" = [])))]
pub(crate) async fn get_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Response> {
    let o = s.app.get_order(p, id).await?;
    Ok(with_etag(o.version, o))
}

#[utoipa::path(put, path = "/orders/{id}", tag = "kitchen", params(("id" = OrderId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = OrderUpdateCommand, responses((status = 200, description = "Changed", body = larder_app::kitchen::orders::Order), (status = 409, description = "The order is delivered or cancelled", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<OrderId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<OrderUpdateCommand>,
) -> ApiResult<Response> {
    let o = s.app.update_order(p, id, cmd, v).await?;
    Ok(with_etag(o.version, o))
}

#[utoipa::path(post, path = "/orders/{id}/cancel", tag = "kitchen", params(("id" = OrderId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = CancelOrderCommand, responses((status = 200, description = "Cancelled with its tasks not done (again: the order as it is)", body = larder_app::kitchen::orders::Order), (status = 409, description = "The order has left the kitchen", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn cancel_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<OrderId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<CancelOrderCommand>,
) -> ApiResult<Response> {
    let o = s.app.cancel_order(p, id, cmd, v).await?;
    Ok(with_etag(o.version, o))
}

#[utoipa::path(post, path = "/tasks/{id}/status", tag = "kitchen", params(("id" = TaskId, Path)), request_body = TaskMoveCommand, responses((status = 200, description = "Moved (or already there: `moved` false, nothing recorded)", body = larder_app::kitchen::tasks::TaskMoved), (status = 409, description = "A move the task cannot make: its dependencies or a required step are not done, a recall after what it let through started, or its order left the kitchen", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn move_task(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<TaskId>,
    ApiJson(cmd): ApiJson<TaskMoveCommand>,
) -> ApiResult<Response> {
    Ok(Json(s.app.move_task(p, id, cmd).await?).into_response())
}

#[utoipa::path(put, path = "/tasks/{id}/subtasks/{index}", tag = "kitchen", params(("id" = TaskId, Path), ("index" = u32, Path, description = "The subtask's place, from 0", maximum = 19)), request_body = SubtaskCommand, responses((status = 200, description = "Ticked off or unticked", body = larder_app::kitchen::tasks::TaskMoved), (status = 409, description = "The task is done or cancelled", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn tick_subtask(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath((id, index)): ApiPath<(TaskId, u32)>,
    ApiJson(cmd): ApiJson<SubtaskCommand>,
) -> ApiResult<Response> {
    let index = usize::try_from(index).unwrap_or(usize::MAX);
    Ok(Json(s.app.tick_subtask(p, id, index, cmd).await?).into_response())
}

#[utoipa::path(post, path = "/locations/{id}/shifts", tag = "kitchen", params(("id" = LocationId, Path)), request_body = ShiftCommand, responses((status = 201, description = "Planned", body = larder_app::kitchen::shifts::Shift)), security(("bearer" = [])))]
pub(crate) async fn plan_shift(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<LocationId>,
    ApiJson(cmd): ApiJson<ShiftCommand>,
) -> ApiResult<Response> {
    let shift = s.app.plan_shift(p, id, cmd).await?;
    Ok((axum::http::StatusCode::CREATED, Json(shift)).into_response())
}

#[utoipa::path(delete, path = "/locations/{id}/shifts/{shift_id}", tag = "kitchen", params(("id" = LocationId, Path), ("shift_id" = uuid::Uuid, Path)), responses((status = 200, description = "Removed: the shift as it was", body = larder_app::kitchen::shifts::Shift)), security(("bearer" = [])))]
pub(crate) async fn remove_shift(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath((id, shift)): ApiPath<(LocationId, uuid::Uuid)>,
) -> ApiResult<Response> {
    Ok(Json(s.app.remove_shift(p, id, shift).await?).into_response())
}

#[utoipa::path(get, path = "/shifts/today", tag = "kitchen", params(ShiftsQuery), responses((status = 200, description = "The location's shifts of today's business day and who is on which station now", body = larder_app::kitchen::shifts::ShiftsToday)), security(("bearer" = [])))]
pub(crate) async fn shifts_today(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ShiftsQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.shifts_today(p, q.location_id).await?).into_response())
}

#[utoipa::path(get, path = "/task-log", tag = "kitchen", params(TaskLogQuery), responses((status = 200, description = "A page of the location's task state changes, oldest first", body = larder_app::page::Page<larder_app::kitchen::task_log::TaskLogEntry>)), security(("bearer" = [])))]
pub(crate) async fn task_log(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<TaskLogQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.task_log(p, q).await?).into_response())
}

#[utoipa::path(get, path = "/task-log/export", tag = "kitchen", params(TaskLogQuery), responses((status = 200, description = "Every task state change of the location in the period as CSV (UTF-8, header first: id, at, task_id, order_id, location_id, station_id, from_status, to_status, actor)", body = String, content_type = "text/csv")), security(("bearer" = [])))]
pub(crate) async fn export_task_log(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<TaskLogQuery>,
) -> ApiResult<Response> {
    let csv = s.app.export_task_log(p, q).await?;
    let mut res = csv.into_response();
    res.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    res.headers_mut().insert(
        axum::http::header::CONTENT_DISPOSITION,
        axum::http::HeaderValue::from_static("attachment; filename=\"task-log.csv\""),
    );
    Ok(res)
}

#[utoipa::path(get, path = "/kitchen/dashboard", tag = "kitchen", params(larder_app::kitchen::dashboard::DashboardQuery), responses((status = 200, description = "Open and late orders, station loads and the bottleneck now; prep times and ETA accuracy (mean absolute error, bias, share within 5 minutes, per business day and channel) over the period", body = larder_app::kitchen::dashboard::KitchenDashboard)), security(("bearer" = [])))]
pub(crate) async fn kitchen_dashboard(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<larder_app::kitchen::dashboard::DashboardQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.kitchen_dashboard(p, q).await?).into_response())
}
