//! procurement: `/goods-receipts` (issue 8, part 3; ADR 015): receive a delivery against a
//! purchase order or as a walk-in purchase (Idempotency-Key: a retried delivery posts once),
//! list receipts newest first, read one.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::procurement::goods_receipts::{GoodsReceiptQuery, ReceiptCommand};
use larder_core::GoodsReceiptId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::created;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey};

/// The goods-receipt routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_goods_receipts, receive_goods))
        .routes(routes!(get_goods_receipt))
}

/// Receive a delivery: each accepted line opens a lot and posts a receipt movement; the
/// order's lines add what arrived.
#[utoipa::path(post, path = "/goods-receipts", tag = "procurement", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = ReceiptCommand, responses((status = 201, description = "Received, with each line's lot, value and flags (price differs, substituted, over, under, rejected, not ordered)", body = larder_app::procurement::goods_receipts::GoodsReceipt)), security(("bearer" = [])))]
pub(crate) async fn receive_goods(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<ReceiptCommand>,
) -> ApiResult<Response> {
    let r = s.app.receive_goods(p, cmd, k).await?;
    let location = format!("/api/v1/goods-receipts/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/goods-receipts", tag = "procurement", params(GoodsReceiptQuery), responses((status = 200, description = "Goods receipts, newest first (a limited member's locations' only)", body = larder_app::Page<larder_app::procurement::goods_receipts::GoodsReceipt>)), security(("bearer" = [])))]
pub(crate) async fn list_goods_receipts(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<GoodsReceiptQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_goods_receipts(p, q).await?).into_response())
}

#[utoipa::path(get, path = "/goods-receipts/{id}", tag = "procurement", params(("id" = GoodsReceiptId, Path, description = "Goods receipt id")), responses((status = 200, description = "The receipt with its lines", body = larder_app::procurement::goods_receipts::GoodsReceipt)), security(("bearer" = [])))]
pub(crate) async fn get_goods_receipt(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<GoodsReceiptId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_goods_receipt(p, id).await?).into_response())
}
