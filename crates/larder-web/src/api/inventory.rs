//! `/stock`, `/stock-movements`, `/stock/adjustments`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use larder_app::inventory::{AdjustmentCommand, MovementQuery, StockQuery};

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Auth, IdemKey};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stock", get(list_stock))
        .route("/stock-movements", get(list_movements))
        .route("/stock/adjustments", post(post_adjustment))
}

async fn list_stock(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<StockQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_stock(p, q).await?).into_response())
}

async fn list_movements(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<MovementQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_movements(p, q).await?).into_response())
}

async fn post_adjustment(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<AdjustmentCommand>,
) -> ApiResult<Response> {
    let r = s.app.post_adjustment(p, cmd, k).await?;
    let location = format!("/api/v1/stock-movements?item_id={}", r.value.item_id);
    Ok(created(r, location))
}
