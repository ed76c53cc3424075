//! mail: `/mail`, the tenant's delivery log of outgoing mail (alerts, digests, purchase orders
//! emailed to suppliers), newest first, and `/mail/{id}` (ADR 029). Owners and admins in
//! person.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::mail::MailQuery;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, Auth};

/// The mail routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_mail))
        .routes(routes!(get_mail))
}

#[utoipa::path(get, path = "/mail", tag = "mail", params(MailQuery), responses((status = 200, description = "The delivery log, newest first: each message's recipients, subject, purpose, status (pending, sent, failed), attempts, next attempt and the mail server's last answer", body = larder_app::mail::MailPage)), security(("bearer" = [])))]
pub(crate) async fn list_mail(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<MailQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.mail_log(p, q).await?).into_response())
}

#[utoipa::path(get, path = "/mail/{id}", tag = "mail", params(("id" = Uuid, Path)), responses((status = 200, description = "One message of the delivery log", body = larder_app::mail::Mail)), security(("bearer" = [])))]
pub(crate) async fn get_mail(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_mail(p, id).await?).into_response())
}
