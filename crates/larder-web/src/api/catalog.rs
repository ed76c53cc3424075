//! catalog: `/items` and their par levels.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::catalog::{ItemCommand, ItemQuery, ParLevelCommand};
use larder_core::{ItemId, LocationId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{created, with_etag};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey, IfMatch};

/// The catalog's routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_items, create_item))
        .routes(routes!(get_item, update_item))
        .routes(routes!(retire_item))
        .routes(routes!(set_par_level))
}

#[utoipa::path(post, path = "/items", tag = "catalog", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = larder_app::catalog::ItemCommand, responses((status = 201, description = "Created", body = larder_app::catalog::Item), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
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

#[utoipa::path(get, path = "/items/{id}", tag = "catalog", params(("id" = larder_core::ItemId, Path)), responses((status = 200, description = "The item, with its version as ETag", body = larder_app::catalog::Item), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn get_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<ItemId>,
) -> ApiResult<Response> {
    let item = s.app.get_item(p, id).await?;
    Ok(with_etag(item.version, item))
}

#[utoipa::path(put, path = "/items/{id}", tag = "catalog", params(("id" = larder_core::ItemId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = larder_app::catalog::ItemCommand, responses((status = 200, description = "OK", body = larder_app::catalog::Item), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<ItemId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<ItemCommand>,
) -> ApiResult<Response> {
    let item = s.app.update_item(p, id, cmd, v).await?;
    Ok(with_etag(item.version, item))
}

#[utoipa::path(get, path = "/items", tag = "catalog", params(larder_app::catalog::ItemQuery), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::catalog::Item>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn list_items(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ItemQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_items(p, q).await?).into_response())
}

#[utoipa::path(put, path = "/items/{id}/par-levels/{location_id}", tag = "catalog", params(("id" = larder_core::ItemId, Path), ("location_id" = larder_core::LocationId, Path)), request_body = larder_app::catalog::ParLevelCommand, responses((status = 200, description = "OK", body = larder_app::catalog::ParLevelCommand), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn set_par_level(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath((item, location)): ApiPath<(ItemId, LocationId)>,
    ApiJson(cmd): ApiJson<ParLevelCommand>,
) -> ApiResult<Response> {
    Ok(Json(s.app.set_par_level(p, item, location, cmd).await?).into_response())
}

#[utoipa::path(post, path = "/items/{id}/retire", tag = "catalog", params(("id" = larder_core::ItemId, Path)), responses((status = 200, description = "The item, retired: it leaves lists and pickers, keeps its stock history and stays readable", body = larder_app::catalog::Item), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn retire_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<ItemId>,
) -> ApiResult<Response> {
    let item = s.app.retire_item(p, id).await?;
    Ok(with_etag(item.version, item))
}
