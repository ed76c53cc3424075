//! analytics: `/avt` (actual vs theoretical variance of a location and period, with its
//! completeness gate) and `/avt/counts` (the approved counts that can bound a period).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::analytics::avt::{ApprovedCount, AvtQuery, AvtReport};
use larder_core::LocationId;
use serde::Deserialize;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Auth};

#[utoipa::path(get, path = "/avt", tag = "reports", params(AvtQuery), responses((status = 200, description = "Actual vs theoretical usage per item, ranked by the variance's value, with category subtotals, the location total and the completeness gate (`trustworthy`, `reasons`)", body = AvtReport)), security(("bearer" = [])))]
pub(crate) async fn avt_report(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AvtQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.avt_report(p, q).await?).into_response())
}

/// The location whose approved counts to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct CountsQuery {
    /// The location.
    location_id: LocationId,
}

#[utoipa::path(get, path = "/avt/counts", tag = "reports", params(CountsQuery), responses((status = 200, description = "The location's approved counts, latest approval first (100 at most)", body = larder_app::Page<ApprovedCount>)), security(("bearer" = [])))]
pub(crate) async fn avt_counts(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<CountsQuery>,
) -> ApiResult<Response> {
    let counts = s.app.avt_counts(p, q.location_id).await?;
    Ok(Json(larder_app::Page {
        data: counts,
        next_cursor: None,
    })
    .into_response())
}
