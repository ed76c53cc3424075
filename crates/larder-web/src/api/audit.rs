//! audit: `/audit-log` (the tenant's hash-chained audit records, newest first) and
//! `/audit-log/verify` (the chain walked from its first record; ADR 026). Owners and admins.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::audit::AuditQuery;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, Auth};

/// The audit routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(audit_log))
        .routes(routes!(verify_audit_log))
}

#[utoipa::path(get, path = "/audit-log", tag = "audit", params(AuditQuery), responses((status = 200, description = "Audit records, newest first: who did what to what, with the target's scalar fields before and after, the request's id and the client's address (owners and admins)", body = larder_app::audit::AuditPage)), security(("bearer" = [])))]
pub(crate) async fn audit_log(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.audit_log(p, q).await?).into_response())
}

#[utoipa::path(get, path = "/audit-log/verify", tag = "audit", responses((status = 200, description = "The tenant's chain walked from its first record: how many records verified and, if it is broken, the first broken record", body = larder_app::audit::ChainState)), security(("bearer" = [])))]
pub(crate) async fn verify_audit_log(
    State(s): State<AppState>,
    Auth(p): Auth,
) -> ApiResult<Response> {
    Ok(Json(s.app.verify_my_audit_chain(p).await?).into_response())
}
