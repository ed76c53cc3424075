//! webhooks: `/webhooks` (subscriptions to event types, signed per Standard Webhooks),
//! `/webhooks/{id}/rotate-secret`, `/webhooks/{id}/deliveries` (the delivery log) and
//! `/webhooks/{id}/deliveries/{delivery_id}/replay` (ADR 027). Owners and admins.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use larder_app::page::PageQuery;
use larder_app::webhooks::WebhookCommand;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::with_etag;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IfMatch};

/// The webhook routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, create_webhook))
        .routes(routes!(get_webhook, update_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(deliveries))
        .routes(routes!(replay))
}

#[utoipa::path(get, path = "/webhooks", tag = "webhooks", responses((status = 200, description = "The tenant's subscriptions, newest first (never their secrets)", body = Vec<larder_app::webhooks::Webhook>)), security(("bearer" = [])))]
pub(crate) async fn list_webhooks(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    Ok(Json(s.app.list_webhooks(p).await?).into_response())
}

#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = WebhookCommand, responses((status = 201, description = "Subscribed to events from now on; the signing secret is shown this once", body = larder_app::webhooks::WebhookWithSecret)), security(("bearer" = [])))]
pub(crate) async fn create_webhook(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiJson(cmd): ApiJson<WebhookCommand>,
) -> ApiResult<Response> {
    let w = s.app.create_webhook(p, cmd).await?;
    let location = format!("/api/v1/webhooks/{}", w.webhook.id);
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        Json(w),
    )
        .into_response())
}

#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)), responses((status = 200, description = "The subscription, with its version as the ETag", body = larder_app::webhooks::Webhook)), security(("bearer" = [])))]
pub(crate) async fn get_webhook(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    let w = s.app.get_webhook(p, id).await?;
    Ok(with_etag(w.version, w))
}

#[utoipa::path(put, path = "/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = WebhookCommand, responses((status = 200, description = "The subscription; `active: true` switches it back on and forgets its failures", body = larder_app::webhooks::Webhook), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_webhook(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<Uuid>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<WebhookCommand>,
) -> ApiResult<Response> {
    let w = s.app.update_webhook(p, id, cmd, v).await?;
    Ok(with_etag(w.version, w))
}

#[utoipa::path(post, path = "/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = Uuid, Path)), responses((status = 200, description = "The new secret, shown this once; the previous one keeps signing beside it for 24 hours", body = larder_app::webhooks::WebhookWithSecret)), security(("bearer" = [])))]
pub(crate) async fn rotate_secret(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(s.app.rotate_webhook_secret(p, id).await?).into_response())
}

#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", params(("id" = Uuid, Path), PageQuery), responses((status = 200, description = "The delivery log, newest first: each event's status, attempts, next attempt, last answer and error", body = larder_app::webhooks::DeliveryPage)), security(("bearer" = [])))]
pub(crate) async fn deliveries(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.webhook_deliveries(p, id, q).await?).into_response())
}

#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{delivery_id}/replay", tag = "webhooks", params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)), responses((status = 200, description = "The delivery, due again now", body = larder_app::webhooks::Delivery)), security(("bearer" = [])))]
pub(crate) async fn replay(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath((id, delivery)): ApiPath<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    Ok(Json(s.app.replay_delivery(p, id, delivery).await?).into_response())
}
