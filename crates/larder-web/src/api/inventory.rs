//! inventory: `/stock`, `/stock-movements`, `/stock/adjustments`, and valuation:
//! `/stock-value`, `/cost-of-goods-used`, `/lots`, `/stock-movements/{id}/lots`.

mod production;
pub(crate) mod transfers;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::inventory::valuation::{GoodsUsedQuery, LotQuery, StockValueQuery};
use larder_app::inventory::{AdjustmentCommand, MovementQuery, StockQuery};
use larder_core::MovementId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::created;

pub(crate) mod counts;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey};

mod waste;

/// Inventory's routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stock))
        .routes(routes!(list_movements))
        .routes(routes!(post_adjustment))
        .routes(routes!(stock_value))
        .routes(routes!(goods_used))
        .routes(routes!(list_lots))
        .routes(routes!(movement_lots))
        .merge(waste::router())
        .merge(production::router())
}

/// Stock value now or as of a past instant, from the ledger.
#[utoipa::path(get, path = "/stock-value", tag = "inventory", params(StockValueQuery), responses((status = 200, description = "Stock value by item, location or category, largest first", body = larder_app::inventory::valuation::StockValuation)), security(("bearer" = [])))]
pub(crate) async fn stock_value(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<StockValueQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.stock_value(p, q).await?).into_response())
}

/// Cost of goods used over a period: what decreases took at the tenant's valuation method.
#[utoipa::path(get, path = "/cost-of-goods-used", tag = "inventory", params(GoodsUsedQuery), responses((status = 200, description = "Cost of goods used by kind and broken down as asked", body = larder_app::inventory::valuation::GoodsUsed)), security(("bearer" = [])))]
pub(crate) async fn goods_used(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<GoodsUsedQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.goods_used(p, q).await?).into_response())
}

/// Lots, earliest expiry first.
#[utoipa::path(get, path = "/lots", tag = "inventory", params(LotQuery), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::inventory::valuation::Lot>)), security(("bearer" = [])))]
pub(crate) async fn list_lots(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<LotQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_lots(p, q).await?).into_response())
}

/// What a decrease took from each lot, with the cost.
#[utoipa::path(get, path = "/stock-movements/{id}/lots", tag = "inventory", params(("id" = MovementId, Path, description = "Movement id")), responses((status = 200, description = "The lots taken from, FEFO order", body = Vec<larder_app::inventory::valuation::LotTake>)), security(("bearer" = [])))]
pub(crate) async fn movement_lots(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<MovementId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.movement_lots(p, id).await?).into_response())
}

#[utoipa::path(get, path = "/stock", tag = "inventory", params(larder_app::inventory::StockQuery), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::inventory::StockLevel>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn list_stock(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<StockQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_stock(p, q).await?).into_response())
}

#[utoipa::path(get, path = "/stock-movements", tag = "inventory", params(larder_app::inventory::MovementQuery), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::inventory::Movement>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn list_movements(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<MovementQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_movements(p, q).await?).into_response())
}

#[utoipa::path(post, path = "/stock/adjustments", tag = "inventory", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = larder_app::inventory::AdjustmentCommand, responses((status = 201, description = "The movement posted", body = larder_app::inventory::Movement), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn post_adjustment(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<AdjustmentCommand>,
) -> ApiResult<Response> {
    let r = s.app.post_adjustment(p, cmd, k).await?;
    let location = format!("/api/v1/stock-movements?item_id={}", r.value.item_id);
    Ok(created(r, location))
}
