//! `/items`, `/locations`, par levels.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use larder_app::catalog::{ItemCommand, ItemQuery, LocationCommand, ParLevelCommand};
use larder_core::{ItemId, LocationId};
use serde::Deserialize;

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Auth, IdemKey, IfMatch, etag};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/items", get(list_items).post(create_item))
        .route("/items/{id}", get(get_item).put(update_item))
        .route("/items/{id}/par-levels/{location_id}", put(set_par_level))
        .route("/locations", get(list_locations).post(create_location))
        .route("/locations/{id}", get(get_location).put(update_location))
}

fn with_etag(version: i64, body: impl serde::Serialize) -> Response {
    let mut res = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

#[utoipa::path(post, path = "/api/v1/items", tag = "catalog", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = larder_app::catalog::ItemCommand, responses((status = 201, description = "Created", body = larder_app::catalog::Item), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn create_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<ItemCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_item(p, cmd, k).await?;
    let location = format!("/api/v1/items/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/api/v1/items/{id}", tag = "catalog", params(("id" = larder_core::ItemId, Path)), responses((status = 200, description = "The item, with its version as ETag", body = larder_app::catalog::Item), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn get_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<ItemId>,
) -> ApiResult<Response> {
    let item = s.app.get_item(p, id).await?;
    Ok(with_etag(item.version, item))
}

#[utoipa::path(put, path = "/api/v1/items/{id}", tag = "catalog", params(("id" = larder_core::ItemId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = larder_app::catalog::ItemCommand, responses((status = 200, description = "OK", body = larder_app::catalog::Item), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<ItemId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<ItemCommand>,
) -> ApiResult<Response> {
    let item = s.app.update_item(p, id, cmd, v).await?;
    Ok(with_etag(item.version, item))
}

#[utoipa::path(get, path = "/api/v1/items", tag = "catalog", params(larder_app::catalog::ItemQuery), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::catalog::Item>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn list_items(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ItemQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_items(p, q).await?).into_response())
}

#[utoipa::path(put, path = "/api/v1/items/{id}/par-levels/{location_id}", tag = "catalog", params(("id" = larder_core::ItemId, Path), ("location_id" = larder_core::LocationId, Path)), request_body = larder_app::catalog::ParLevelCommand, responses((status = 200, description = "OK", body = larder_app::catalog::ParLevelCommand), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn set_par_level(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((item, location)): Path<(ItemId, LocationId)>,
    ApiJson(cmd): ApiJson<ParLevelCommand>,
) -> ApiResult<Response> {
    Ok(Json(s.app.set_par_level(p, item, location, cmd).await?).into_response())
}

#[utoipa::path(post, path = "/api/v1/locations", tag = "catalog", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = larder_app::catalog::LocationCommand, responses((status = 201, description = "Created", body = larder_app::catalog::Location), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn create_location(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<LocationCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_location(p, cmd, k).await?;
    let location = format!("/api/v1/locations/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/api/v1/locations/{id}", tag = "catalog", params(("id" = larder_core::LocationId, Path)), responses((status = 200, description = "OK", body = larder_app::catalog::Location), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn get_location(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<LocationId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_location(p, id).await?).into_response())
}

#[utoipa::path(put, path = "/api/v1/locations/{id}", tag = "catalog", params(("id" = larder_core::LocationId, Path)), request_body = larder_app::catalog::LocationCommand, responses((status = 200, description = "OK", body = larder_app::catalog::Location), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_location(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<LocationId>,
    ApiJson(cmd): ApiJson<LocationCommand>,
) -> ApiResult<Response> {
    Ok(Json(s.app.update_location(p, id, cmd).await?).into_response())
}

/// Page size (1..=500, default 50) and the cursor of the previous page.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// Page size.
    limit: Option<u32>,
    /// From the previous page's `next_cursor`.
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/locations", tag = "catalog", params(PageQuery), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::catalog::Location>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn list_locations(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_locations(p, q.limit, q.cursor).await?).into_response())
}
