//! tenancy: `/settings` (currency, time zone, business days and weeks, units) and
//! `/locations` (central kitchens and outlets) and their storage areas
//! (`/locations/{id}/storage-areas`, `/storage-areas/{id}` and its shelf list).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::tenancy::LocationCommand;
use larder_app::tenancy::storage_areas::{ShelfCommand, StorageAreaCommand, StorageAreaOrder};
use larder_core::{LocationId, StorageAreaId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{created, with_etag};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey, IfMatch};

/// Tenancy's routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_locations, create_location))
        .routes(routes!(get_location, update_location))
        .routes(routes!(get_settings, update_settings))
        .routes(routes!(list_storage_areas, create_storage_area))
        .routes(routes!(reorder_storage_areas))
        .routes(routes!(get_storage_area, rename_storage_area))
        .routes(routes!(retire_storage_area))
        .routes(routes!(area_items, set_area_items))
}

#[utoipa::path(get, path = "/settings", tag = "tenancy", responses((status = 200, description = "The tenant's settings, with their version as the `ETag`", body = larder_app::tenancy::Settings)), security(("bearer" = [])))]
pub(crate) async fn get_settings(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    let settings = s.app.get_settings(p).await?;
    Ok(with_etag(settings.version, settings))
}

#[utoipa::path(put, path = "/settings", tag = "tenancy", params(("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = larder_app::tenancy::SettingsCommand, responses((status = 200, description = "The new settings (owners only); recorded movements and amounts are not rewritten", body = larder_app::tenancy::Settings), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_settings(
    State(s): State<AppState>,
    Auth(p): Auth,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<larder_app::tenancy::SettingsCommand>,
) -> ApiResult<Response> {
    let settings = s.app.update_settings(p, cmd, v).await?;
    Ok(with_etag(settings.version, settings))
}

#[utoipa::path(post, path = "/locations", tag = "tenancy", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = larder_app::tenancy::LocationCommand, responses((status = 201, description = "Created", body = larder_app::tenancy::Location), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
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

#[utoipa::path(get, path = "/locations/{id}", tag = "tenancy", params(("id" = larder_core::LocationId, Path)), responses((status = 200, description = "OK", body = larder_app::tenancy::Location), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn get_location(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<LocationId>,
) -> ApiResult<Response> {
    let l = s.app.get_location(p, id).await?;
    Ok(with_etag(l.version, l))
}

#[utoipa::path(put, path = "/locations/{id}", tag = "tenancy", params(("id" = larder_core::LocationId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = larder_app::tenancy::LocationCommand, responses((status = 200, description = "The location, with its version as ETag", body = larder_app::tenancy::Location), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_location(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<LocationId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<LocationCommand>,
) -> ApiResult<Response> {
    let l = s.app.update_location(p, id, cmd, v).await?;
    Ok(with_etag(l.version, l))
}

#[utoipa::path(get, path = "/locations", tag = "tenancy", params(larder_app::page::PageQuery), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::tenancy::Location>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn list_locations(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<larder_app::page::PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_locations(p, q.limit, q.cursor).await?).into_response())
}

#[utoipa::path(get, path = "/locations/{id}/storage-areas", tag = "tenancy", params(("id" = larder_core::LocationId, Path)), responses((status = 200, description = "The location's storage areas in use, in walking order", body = Vec<larder_app::tenancy::storage_areas::StorageArea>)), security(("bearer" = [])))]
pub(crate) async fn list_storage_areas(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<LocationId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_storage_areas(p, id).await?).into_response())
}

#[utoipa::path(post, path = "/locations/{id}/storage-areas", tag = "tenancy", params(("id" = larder_core::LocationId, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = larder_app::tenancy::storage_areas::StorageAreaCommand, responses((status = 201, description = "Created, last in walking order", body = larder_app::tenancy::storage_areas::StorageArea)), security(("bearer" = [])))]
pub(crate) async fn create_storage_area(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiPath(id): ApiPath<LocationId>,
    ApiJson(cmd): ApiJson<StorageAreaCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_storage_area(p, id, cmd, k).await?;
    let location = format!("/api/v1/storage-areas/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(put, path = "/locations/{id}/storage-areas/order", tag = "tenancy", params(("id" = larder_core::LocationId, Path)), request_body = larder_app::tenancy::storage_areas::StorageAreaOrder, responses((status = 200, description = "The areas in their new walking order", body = Vec<larder_app::tenancy::storage_areas::StorageArea>)), security(("bearer" = [])))]
pub(crate) async fn reorder_storage_areas(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<LocationId>,
    ApiJson(cmd): ApiJson<StorageAreaOrder>,
) -> ApiResult<Response> {
    Ok(Json(s.app.reorder_storage_areas(p, id, cmd).await?).into_response())
}

#[utoipa::path(get, path = "/storage-areas/{id}", tag = "tenancy", params(("id" = larder_core::StorageAreaId, Path)), responses((status = 200, description = "The area, with its version as ETag", body = larder_app::tenancy::storage_areas::StorageArea)), security(("bearer" = [])))]
pub(crate) async fn get_storage_area(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<StorageAreaId>,
) -> ApiResult<Response> {
    let a = s.app.get_storage_area(p, id).await?;
    Ok(with_etag(a.version, a))
}

#[utoipa::path(put, path = "/storage-areas/{id}", tag = "tenancy", params(("id" = larder_core::StorageAreaId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = larder_app::tenancy::storage_areas::StorageAreaCommand, responses((status = 200, description = "Renamed", body = larder_app::tenancy::storage_areas::StorageArea), (status = 409, description = "Another area of the location has that name", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn rename_storage_area(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<StorageAreaId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<StorageAreaCommand>,
) -> ApiResult<Response> {
    let a = s.app.rename_storage_area(p, id, cmd, v).await?;
    Ok(with_etag(a.version, a))
}

#[utoipa::path(post, path = "/storage-areas/{id}/retire", tag = "tenancy", params(("id" = larder_core::StorageAreaId, Path)), responses((status = 200, description = "Retired: it leaves the location's list and count sheets", body = larder_app::tenancy::storage_areas::StorageArea)), security(("bearer" = [])))]
pub(crate) async fn retire_storage_area(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<StorageAreaId>,
) -> ApiResult<Response> {
    let a = s.app.retire_storage_area(p, id).await?;
    Ok(with_etag(a.version, a))
}

#[utoipa::path(get, path = "/storage-areas/{id}/items", tag = "tenancy", params(("id" = larder_core::StorageAreaId, Path)), responses((status = 200, description = "The area's items in shelf order", body = Vec<larder_app::tenancy::storage_areas::ShelfItem>)), security(("bearer" = [])))]
pub(crate) async fn area_items(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<StorageAreaId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.area_items(p, id).await?).into_response())
}

#[utoipa::path(put, path = "/storage-areas/{id}/items", tag = "tenancy", params(("id" = larder_core::StorageAreaId, Path)), request_body = larder_app::tenancy::storage_areas::ShelfCommand, responses((status = 200, description = "The area's items, replaced, in the given shelf order", body = Vec<larder_app::tenancy::storage_areas::ShelfItem>)), security(("bearer" = [])))]
pub(crate) async fn set_area_items(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<StorageAreaId>,
    ApiJson(cmd): ApiJson<ShelfCommand>,
) -> ApiResult<Response> {
    Ok(Json(s.app.set_area_items(p, id, cmd).await?).into_response())
}
