//! analytics: `/reports/usage` (theoretical usage per week), `/reports/top-menu-items`; `/avt`
//! in [`avt`].

mod avt;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Auth};

/// Analytics' routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(usage))
        .routes(routes!(top_menu_items))
        .routes(routes!(avt::avt_report))
        .routes(routes!(avt::avt_counts))
        .route_layer(axum::middleware::from_fn(crate::limit_heavy_api))
}

/// A period `[from, to)` (RFC 3339) of at most 366 days, and how many rows.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct Period {
    /// Start, inclusive.
    from: DateTime<Utc>,
    /// End, exclusive; not before `from` and at most 366 days after it (a longer period is a
    /// 422 on `to`).
    to: DateTime<Utc>,
    /// Rows (1..=100, default 10).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/reports/usage", tag = "reports", params(Period), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::analytics::UsageSeries>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn usage(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<Period>,
) -> ApiResult<Response> {
    let series = s.app.weekly_usage(p, q.from, q.to, q.limit).await?;
    Ok(Json(larder_app::Page {
        data: series,
        next_cursor: None,
    })
    .into_response())
}

#[utoipa::path(get, path = "/reports/top-menu-items", tag = "reports", params(Period), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::analytics::TopMenuItem>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn top_menu_items(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<Period>,
) -> ApiResult<Response> {
    let rows = s.app.top_menu_items(p, q.from, q.to, q.limit).await?;
    Ok(Json(larder_app::Page {
        data: rows,
        next_cursor: None,
    })
    .into_response())
}
