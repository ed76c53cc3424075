//! inventory: `/stock-counts` (issue 9, item 2; ADR 019): start a count (full or cycle, blind
//! or not), list and read counts (the sheet with variance unless blind for the caller), enter
//! a line per item and area (idempotent), approve (posts the count adjustments once) and
//! cancel, both guarded by `If-Match`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::inventory::counts::{
    ApproveCountCommand, CountLineCommand, StartCountCommand, StockCountQuery,
};
use larder_core::{ItemId, StockCountId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{created, with_etag};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey, IfMatch};

/// The stock-count routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stock_counts, start_stock_count))
        .routes(routes!(get_stock_count))
        .routes(routes!(enter_count_line))
        .routes(routes!(approve_stock_count))
        .routes(routes!(cancel_stock_count))
}

/// Start a count: its sheet is fixed now, in walking order.
#[utoipa::path(post, path = "/stock-counts", tag = "inventory", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = StartCountCommand, responses((status = 201, description = "Started, open, with its sheet; its version as the ETag", body = larder_app::inventory::counts::StockCount)), security(("bearer" = [])))]
pub(crate) async fn start_stock_count(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<StartCountCommand>,
) -> ApiResult<Response> {
    let r = s.app.start_stock_count(p, cmd, k).await?;
    let version = r.value.version;
    let location = format!("/api/v1/stock-counts/{}", r.value.id);
    let mut res = created(r, location);
    if let Ok(v) = axum::http::HeaderValue::from_str(&crate::extract::etag(version)) {
        res.headers_mut().insert(axum::http::header::ETAG, v);
    }
    Ok(res)
}

#[utoipa::path(get, path = "/stock-counts", tag = "inventory", params(StockCountQuery), responses((status = 200, description = "Counts, newest first, without their sheets (a limited member's locations' only)", body = larder_app::Page<larder_app::inventory::counts::StockCount>)), security(("bearer" = [])))]
pub(crate) async fn list_stock_counts(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<StockCountQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_stock_counts(p, q).await?).into_response())
}

/// One count: its sheet in walking order with each line, and per item the counted quantity,
/// book stock at the counted instant and variance (hidden from counters on a blind count).
#[utoipa::path(get, path = "/stock-counts/{id}", tag = "inventory", params(("id" = StockCountId, Path, description = "Stock count id")), responses((status = 200, description = "The count; its version as the ETag", body = larder_app::inventory::counts::StockCount)), security(("bearer" = [])))]
pub(crate) async fn get_stock_count(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<StockCountId>,
) -> ApiResult<Response> {
    let c = s.app.get_stock_count(p, id).await?;
    Ok(with_etag(c.version, c))
}

/// Enter or recount one item's line (in one area): an amount in packs and units or a base
/// quantity, with the instant it was counted. A recount replaces the line (the old one is kept
/// as history); a line off the sheet is kept and flagged.
#[utoipa::path(put, path = "/stock-counts/{id}/lines/{item_id}", tag = "inventory", params(("id" = StockCountId, Path, description = "Stock count id"), ("item_id" = ItemId, Path, description = "The item counted"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = CountLineCommand, responses((status = 200, description = "The line as entered, with the count's new version as the ETag", body = larder_app::inventory::counts::CountedLine), (status = 409, description = "The count is no longer open", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn enter_count_line(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiPath((id, item)): ApiPath<(StockCountId, ItemId)>,
    ApiJson(cmd): ApiJson<CountLineCommand>,
) -> ApiResult<Response> {
    let r = s.app.enter_count_line(p, id, item, cmd, k).await?;
    Ok(with_etag(r.value.version, r.value))
}

/// Approve: one count adjustment per item whose count differs from book stock at its counted
/// instant, dated that instant. Approving an approved count posts nothing and answers it.
#[utoipa::path(post, path = "/stock-counts/{id}/approve", tag = "inventory", params(("id" = StockCountId, Path, description = "Stock count id"), ("If-Match" = Option<String>, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = Option<ApproveCountCommand>, responses((status = 200, description = "Approved, with what each item posted", body = larder_app::inventory::counts::StockCount), (status = 409, description = "The count was cancelled", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match: a line was entered since the count was read", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn approve_stock_count(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    IfMatch(v): IfMatch,
    ApiPath(id): ApiPath<StockCountId>,
    body: Option<ApiJson<ApproveCountCommand>>,
) -> ApiResult<Response> {
    let cmd = body.map(|b| b.0).unwrap_or_default();
    let r = s.app.approve_stock_count(p, id, cmd, v, k).await?;
    Ok(with_etag(r.value.version, r.value))
}

/// Cancel an open count: it posts nothing.
#[utoipa::path(post, path = "/stock-counts/{id}/cancel", tag = "inventory", params(("id" = StockCountId, Path, description = "Stock count id"), ("If-Match" = Option<String>, Header, description = "The ETag read")), responses((status = 200, description = "Cancelled", body = larder_app::inventory::counts::StockCount), (status = 409, description = "The count was approved", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn cancel_stock_count(
    State(s): State<AppState>,
    Auth(p): Auth,
    IfMatch(v): IfMatch,
    ApiPath(id): ApiPath<StockCountId>,
) -> ApiResult<Response> {
    let c = s.app.cancel_stock_count(p, id, v).await?;
    Ok(with_etag(c.version, c))
}
