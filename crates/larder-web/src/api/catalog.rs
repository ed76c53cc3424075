//! catalog: `/items` and their par levels, amounts entered in an item's packs and units
//! (`/items/{id}/amount`), and scanned barcodes (`/barcodes/resolve`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use larder_app::catalog::barcodes::ResolveQuery;
use larder_app::catalog::units::AmountCommand;
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
        .routes(routes!(item_amount))
        .routes(routes!(resolve_barcode))
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

#[utoipa::path(post, path = "/items/{id}/amount", tag = "catalog", params(("id" = larder_core::ItemId, Path)), request_body = larder_app::catalog::units::AmountCommand, responses((status = 200, description = "The amount as an exact quantity of the item's base unit on its entry rounding, part by part; nothing is saved", body = larder_app::catalog::units::AmountView), (status = 422, description = "Invalid `amount`, naming the part: an unknown pack or unit, a unit that cannot convert, a fraction the item refuses", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn item_amount(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<ItemId>,
    ApiJson(cmd): ApiJson<AmountCommand>,
) -> ApiResult<Response> {
    Ok(Json(s.app.amount_view(p, id, "amount", &cmd.amount).await?).into_response())
}

#[utoipa::path(get, path = "/barcodes/resolve", tag = "catalog", params(larder_app::catalog::barcodes::ResolveQuery), responses((status = 200, description = "The item the scan's GTIN names, with lot, expiry, quantity in its base unit and what did not match", body = larder_app::catalog::barcodes::ScanResolution), (status = 404, description = "No item has the scan's GTIN: a problem whose `scan` member holds what was read", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "The scan cannot be read (`code`: a check digit, a date, a malformed element)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn resolve_barcode(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ResolveQuery>,
) -> ApiResult<Response> {
    let scan = s.app.resolve_barcode(p, &q.code).await?;
    if scan.item.is_some() {
        return Ok(Json(scan).into_response());
    }
    // A 404 that still shows what was read, so a scanning page can say what it saw.
    let detail = scan
        .unmatched
        .last()
        .cloned()
        .unwrap_or_else(|| "no item has this code".to_owned());
    let body = serde_json::json!({
        "type": "/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": detail,
        "scan": scan,
    });
    let mut res = (StatusCode::NOT_FOUND, Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::error::PROBLEM_JSON),
    );
    Ok(res)
}
