//! `/sales`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use larder_app::sales::SaleCommand;
use larder_core::SaleId;
use serde::Deserialize;

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Auth, IdemKey};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sales", get(list_sales).post(post_sale))
        .route("/sales/unmapped", get(unmapped))
        .route("/sales/{id}", get(get_sale))
}

#[derive(Deserialize)]
struct PageQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn post_sale(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<SaleCommand>,
) -> ApiResult<Response> {
    let r = s.app.post_sale(p, cmd, k).await?;
    let location = format!("/api/v1/sales/{}", r.value.id);
    Ok(created(r, location))
}

async fn get_sale(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<SaleId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_sale(p, id).await?).into_response())
}

async fn list_sales(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_sales(p, q.limit, q.cursor).await?).into_response())
}

async fn unmapped(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    let rows = s.app.unmapped_sales(p).await?;
    let data: Vec<_> = rows
        .into_iter()
        .map(|r| serde_json::json!({ "item_name": r.item_name, "lines": r.lines, "quantity": r.quantity }))
        .collect();
    Ok(Json(serde_json::json!({ "data": data, "next_cursor": null })).into_response())
}
