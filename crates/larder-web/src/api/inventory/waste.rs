//! inventory: `/waste-entries` (record waste by item or recipe, list, read, reverse), the
//! `/waste-report`, and `/stock-movements/{id}/reverse` (ADR 020).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::inventory::waste::{ReverseCommand, WasteCommand, WasteQuery, WasteReportQuery};
use larder_core::{MovementId, WasteEntryId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::created;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey};

/// The waste and reversal routes with their OpenAPI paths; the report takes a turn among the
/// process's reports.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_waste_entries, post_waste))
        .routes(routes!(get_waste_entry))
        .routes(routes!(reverse_waste_entry))
        .routes(routes!(reverse_movement))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(waste_report))
                .route_layer(axum::middleware::from_fn(crate::limit_heavy_api)),
        )
}

/// Record waste: an item (quantity or amount in its packs) or a recipe (its ingredients
/// are taken out); each ingredient is a waste movement valued at lot cost, FEFO.
#[utoipa::path(post, path = "/waste-entries", tag = "inventory", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = WasteCommand, responses((status = 201, description = "Recorded, with the quantity and cost of each ingredient taken out", body = larder_app::inventory::waste::WasteEntry)), security(("bearer" = [])))]
pub(crate) async fn post_waste(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<WasteCommand>,
) -> ApiResult<Response> {
    let r = s.app.post_waste(p, cmd, k).await?;
    let location = format!("/api/v1/waste-entries/{}", r.value.id);
    Ok(created(r, location))
}

/// Waste entries, newest first.
#[utoipa::path(get, path = "/waste-entries", tag = "inventory", params(WasteQuery), responses((status = 200, description = "Waste entries, newest first (a limited member's locations' only)", body = larder_app::Page<larder_app::inventory::waste::WasteEntry>)), security(("bearer" = [])))]
pub(crate) async fn list_waste_entries(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<WasteQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_waste_entries(p, q).await?).into_response())
}

/// One waste entry.
#[utoipa::path(get, path = "/waste-entries/{id}", tag = "inventory", params(("id" = WasteEntryId, Path, description = "Waste entry id")), responses((status = 200, description = "The entry with its lines", body = larder_app::inventory::waste::WasteEntry)), security(("bearer" = [])))]
pub(crate) async fn get_waste_entry(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<WasteEntryId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_waste_entry(p, id).await?).into_response())
}

/// Reverse every movement of a waste entry not yet reversed.
#[utoipa::path(post, path = "/waste-entries/{id}/reverse", tag = "inventory", params(("id" = WasteEntryId, Path, description = "Waste entry id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = ReverseCommand, responses((status = 201, description = "Reversed: the entry with each line's reversal", body = larder_app::inventory::waste::WasteEntry), (status = 409, description = "Every movement of the entry was already reversed", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn reverse_waste_entry(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiPath(id): ApiPath<WasteEntryId>,
    ApiJson(cmd): ApiJson<ReverseCommand>,
) -> ApiResult<Response> {
    let r = s.app.reverse_waste_entry(p, id, cmd, k).await?;
    let location = format!("/api/v1/waste-entries/{}", r.value.id);
    Ok(created(r, location))
}

/// Reverse a mistaken movement: a compensating movement of the same kind and opposite
/// quantity that names it, at the cost it took.
#[utoipa::path(post, path = "/stock-movements/{id}/reverse", tag = "inventory", params(("id" = MovementId, Path, description = "Movement id"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = ReverseCommand, responses((status = 201, description = "The compensating movement (its `reverses` names the original)", body = larder_app::inventory::Movement), (status = 409, description = "Already reversed (the message names the reversal), itself a reversal, or posted by a sale, transfer or production batch (reverse the document)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn reverse_movement(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiPath(id): ApiPath<MovementId>,
    ApiJson(cmd): ApiJson<ReverseCommand>,
) -> ApiResult<Response> {
    let r = s.app.reverse_movement(p, id, cmd, k).await?;
    let location = format!("/api/v1/stock-movements?item_id={}", r.value.item_id);
    Ok(created(r, location))
}

/// Waste over a period in money (and quantity per item), by reason, item, location,
/// business day or category, with totals and a breakdown by category.
#[utoipa::path(get, path = "/waste-report", tag = "inventory", params(WasteReportQuery), responses((status = 200, description = "The waste of the period, most money first", body = larder_app::inventory::waste::WasteReport)), security(("bearer" = [])))]
pub(crate) async fn waste_report(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<WasteReportQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.waste_report(p, q).await?).into_response())
}
