//! alerts: `/alert-rules` (what to watch, where, from what threshold), `/alerts` (the cases
//! raised, open and resolved), `/alerts/check` (check the rules now), `/notifications` (each
//! member's own centre, with its unread count) and `/notification-preferences` (channels per
//! alert kind, quiet hours, digest time) (ADR 028).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::alerts::{
    AlertPreferences, AlertQuery, AlertRuleCommand, MarkRead, NotificationQuery,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{created, with_etag};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey, IfMatch};

/// The alert routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alert_rules, create_alert_rule))
        .routes(routes!(get_alert_rule, update_alert_rule))
        .routes(routes!(list_alerts))
        .routes(routes!(check_alerts))
        .routes(routes!(list_notifications))
        .routes(routes!(unread_count))
        .routes(routes!(mark_read))
        .routes(routes!(get_preferences, set_preferences))
}

#[utoipa::path(get, path = "/alert-rules", tag = "alerts", responses((status = 200, description = "The tenant's rules, oldest first (a member limited to some locations sees theirs and the tenant-wide ones)", body = Vec<larder_app::alerts::AlertRule>)), security(("bearer" = [])))]
pub(crate) async fn list_alert_rules(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_alert_rules(p).await?).into_response())
}

#[utoipa::path(post, path = "/alert-rules", tag = "alerts", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = AlertRuleCommand, responses((status = 201, description = "The rule, checked from the next check on (every minute, and after changes)", body = larder_app::alerts::AlertRule), (status = 422, description = "Invalid field (named in `field`): a kind's threshold missing or another kind's given", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn create_alert_rule(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<AlertRuleCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_alert_rule(p, cmd, k).await?;
    let location = format!("/api/v1/alert-rules/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/alert-rules/{id}", tag = "alerts", params(("id" = Uuid, Path)), responses((status = 200, description = "The rule, with its version as the ETag", body = larder_app::alerts::AlertRule)), security(("bearer" = [])))]
pub(crate) async fn get_alert_rule(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let r = s.app.get_alert_rule(p, id).await?;
    Ok(with_etag(r.version, r))
}

#[utoipa::path(put, path = "/alert-rules/{id}", tag = "alerts", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = AlertRuleCommand, responses((status = 200, description = "The rule; `enabled: false` switches it off and resolves its open alerts at the next check", body = larder_app::alerts::AlertRule), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_alert_rule(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<AlertRuleCommand>,
) -> ApiResult<Response> {
    let r = s.app.update_alert_rule(p, id, v, cmd).await?;
    Ok(with_etag(r.version, r))
}

#[utoipa::path(get, path = "/alerts", tag = "alerts", params(AlertQuery), responses((status = 200, description = "Alerts newest first (open by default), of the kinds and locations the reader may see", body = larder_app::page::Page<larder_app::alerts::Alert>)), security(("bearer" = [])))]
pub(crate) async fn list_alerts(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AlertQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_alerts(p, q).await?).into_response())
}

#[utoipa::path(post, path = "/alerts/check", tag = "alerts", responses((status = 200, description = "The rules checked now: alerts raised, resolved and open", body = larder_app::alerts::CheckOutcome)), security(("bearer" = [])))]
pub(crate) async fn check_alerts(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    Ok(Json(s.app.check_alerts(p).await?).into_response())
}

#[utoipa::path(get, path = "/notifications", tag = "alerts", params(NotificationQuery), responses((status = 200, description = "The caller's notifications, newest first, each with its alert as it is now, and the unread count", body = larder_app::alerts::NotificationPage)), security(("bearer" = [])))]
pub(crate) async fn list_notifications(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_notifications(p, q).await?).into_response())
}

/// The unread count.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Unread {
    /// Unread notifications in the caller's centre.
    unread: i64,
}

#[utoipa::path(get, path = "/notifications/unread-count", tag = "alerts", responses((status = 200, description = "How many of the caller's notifications are unread", body = Unread)), security(("bearer" = [])))]
pub(crate) async fn unread_count(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    Ok(Json(Unread {
        unread: s.app.unread_notifications(p).await?,
    })
    .into_response())
}

#[utoipa::path(post, path = "/notifications/read", tag = "alerts", request_body = MarkRead, responses((status = 200, description = "Marked read; what is left unread", body = larder_app::alerts::MarkedRead)), security(("bearer" = [])))]
pub(crate) async fn mark_read(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(cmd): ApiJson<MarkRead>,
) -> ApiResult<Response> {
    Ok(Json(s.app.mark_notifications_read(p, cmd).await?).into_response())
}

#[utoipa::path(get, path = "/notification-preferences", tag = "alerts", responses((status = 200, description = "The caller's channels for every alert kind (default: the centre, no email), quiet hours and digest time", body = AlertPreferences)), security(("bearer" = [])))]
pub(crate) async fn get_preferences(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Response> {
    Ok(Json(s.app.alert_preferences(p).await?).into_response())
}

#[utoipa::path(put, path = "/notification-preferences", tag = "alerts", request_body = AlertPreferences, responses((status = 200, description = "Saved; kinds left out are back to the defaults", body = AlertPreferences)), security(("bearer" = [])))]
pub(crate) async fn set_preferences(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(cmd): ApiJson<AlertPreferences>,
) -> ApiResult<Response> {
    Ok(Json(s.app.set_alert_preferences(p, cmd).await?).into_response())
}
