//! `/reports`: theoretical usage per week, top menu items.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Auth};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports/usage", get(usage))
        .route("/reports/top-menu-items", get(top_menu_items))
}

#[derive(Deserialize)]
struct Period {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    limit: Option<u32>,
}

async fn usage(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<Period>,
) -> ApiResult<Response> {
    let top = q.limit.unwrap_or(10).clamp(1, 100) as usize;
    let series = s.app.weekly_usage(p, q.from, q.to, top).await?;
    Ok(Json(serde_json::json!({ "data": series, "next_cursor": null })).into_response())
}

async fn top_menu_items(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<Period>,
) -> ApiResult<Response> {
    let rows = s
        .app
        .top_menu_items(p, q.from, q.to, q.limit.unwrap_or(10))
        .await?;
    Ok(Json(serde_json::json!({ "data": rows, "next_cursor": null })).into_response())
}
