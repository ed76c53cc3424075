//! inventory: `/stock`, `/stock-movements`, `/stock/adjustments`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::inventory::{AdjustmentCommand, MovementQuery, StockQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Auth, IdemKey};

/// Inventory's routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_stock))
        .routes(routes!(list_movements))
        .routes(routes!(post_adjustment))
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
