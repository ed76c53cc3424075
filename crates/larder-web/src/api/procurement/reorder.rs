//! procurement: `/reorder-suggestions` (issue 8, item 6; ADR 017): a location's suggestions
//! grouped by preferred supplier, and draft purchase orders made from them (Idempotency-Key),
//! one per supplier.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::procurement::reorder::{ReorderOrderCommand, ReorderQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::created;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Auth, IdemKey};

/// The reorder-suggestion routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(reorder_suggestions))
        .routes(routes!(create_reorder_purchase_orders))
}

#[utoipa::path(get, path = "/reorder-suggestions", tag = "procurement", params(ReorderQuery), responses((status = 200, description = "What to order at the location now: per preferred supplier the lines (par level or reorder point, on hand, on order, daily usage by sales and production, projected stock at delivery, whole packs rounded up to at least the minimum order, price and value), the group's total against the supplier's minimum order and the expected delivery; items without a preferred supplier apart with what they need", body = larder_app::procurement::reorder::ReorderSuggestions)), security(("bearer" = [])))]
pub(crate) async fn reorder_suggestions(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ReorderQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.reorder_suggestions(p, q).await?).into_response())
}

#[utoipa::path(post, path = "/reorder-suggestions/purchase-orders", tag = "procurement", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = ReorderOrderCommand, responses((status = 201, description = "One draft purchase order per supplier of the chosen lines (or of every suggestion as computed now), created in one transaction", body = larder_app::procurement::reorder::ReorderOrders)), security(("bearer" = [])))]
pub(crate) async fn create_reorder_purchase_orders(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<ReorderOrderCommand>,
) -> ApiResult<Response> {
    let location = format!(
        "/api/v1/purchase-orders?status=draft&location_id={}",
        cmd.location_id
    );
    let r = s.app.create_reorder_purchase_orders(p, cmd, k).await?;
    Ok(created(r, location))
}
