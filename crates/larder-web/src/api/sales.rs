//! sales: `/sales`, `/sales/unmapped`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::sales::SaleCommand;
use larder_core::SaleId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey};

/// Sales' routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sales, post_sale))
        .routes(routes!(unmapped))
        .routes(routes!(get_sale))
}

#[utoipa::path(post, path = "/sales", tag = "sales", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = larder_app::sales::SaleCommand, responses((status = 201, description = "Recorded and depleted", body = larder_app::sales::Sale), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn post_sale(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<SaleCommand>,
) -> ApiResult<Response> {
    let r = s.app.post_sale(p, cmd, k).await?;
    let location = format!("/api/v1/sales/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/sales/{id}", tag = "sales", params(("id" = larder_core::SaleId, Path)), responses((status = 200, description = "OK", body = larder_app::sales::Sale), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn get_sale(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<SaleId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_sale(p, id).await?).into_response())
}

#[utoipa::path(get, path = "/sales", tag = "sales", params(larder_app::page::PageQuery), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::sales::Sale>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn list_sales(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<larder_app::page::PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_sales(p, q.limit, q.cursor).await?).into_response())
}

/// A name sold that maps to no menu item.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct UnmappedName {
    /// The name as sold.
    item_name: String,
    /// Lines that carried it.
    lines: i64,
    /// Total count sold.
    quantity: larder_core::Quantity,
}

#[utoipa::path(get, path = "/sales/unmapped", tag = "sales", responses((status = 200, description = "OK", body = larder_app::Page<UnmappedName>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn unmapped(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Response> {
    let rows = s.app.unmapped_sales(p).await?;
    let data = rows
        .into_iter()
        .map(|r| UnmappedName {
            item_name: r.item_name,
            lines: r.lines,
            quantity: r.quantity,
        })
        .collect();
    Ok(Json(larder_app::Page {
        data,
        next_cursor: None,
    })
    .into_response())
}
