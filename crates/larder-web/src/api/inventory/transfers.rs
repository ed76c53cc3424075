//! inventory: `/transfers` (issue 9, item 4; ADR 021): request a transfer between two of the
//! tenant's locations (Idempotency-Key), list with filters and a cursor, read and edit a
//! requested one (`ETag` / `If-Match`), send it (the sender's lots taken FEFO, in transit),
//! receive it (the lots carried across, discrepancies recorded) or cancel it.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use larder_app::Idempotent;
use larder_app::inventory::transfers::{
    CancelCommand, ReceiveCommand, Transfer, TransferCommand, TransferQuery,
};
use larder_core::TransferId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{created, with_etag};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey, IfMatch};

/// The transfer routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_transfers, create_transfer))
        .routes(routes!(get_transfer, update_transfer))
        .routes(routes!(send_transfer))
        .routes(routes!(receive_transfer))
        .routes(routes!(cancel_transfer))
}

/// A 200 with the transfer, its version as the ETag, and `Idempotent-Replayed: true` when it
/// repeats an earlier answer.
fn moved(r: Idempotent<Transfer>) -> Response {
    let mut res = with_etag(r.value.version, &r.value);
    if r.replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

/// Request a transfer.
#[utoipa::path(post, path = "/transfers", tag = "inventory", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = TransferCommand, responses((status = 201, description = "Requested, numbered next in the tenant (TRF-000001), with its version as the ETag", body = Transfer)), security(("bearer" = [])))]
pub(crate) async fn create_transfer(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<TransferCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_transfer(p, cmd, k).await?;
    let location = format!("/api/v1/transfers/{}", r.value.id);
    let version = r.value.version;
    let mut res = created(r, location);
    if let Ok(v) = HeaderValue::from_str(&crate::extract::etag(version)) {
        res.headers_mut().insert(axum::http::header::ETAG, v);
    }
    Ok(res)
}

/// Transfers, newest first.
#[utoipa::path(get, path = "/transfers", tag = "inventory", params(TransferQuery), responses((status = 200, description = "Transfers, newest first (a limited member's: from or to one of their locations)", body = larder_app::Page<Transfer>)), security(("bearer" = [])))]
pub(crate) async fn list_transfers(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<TransferQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_transfers(p, q).await?).into_response())
}

/// One transfer.
#[utoipa::path(get, path = "/transfers/{id}", tag = "inventory", params(("id" = larder_core::TransferId, Path)), responses((status = 200, description = "The transfer with its lines, the lots they took and any discrepancies; its version as the ETag", body = Transfer)), security(("bearer" = [])))]
pub(crate) async fn get_transfer(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<TransferId>,
) -> ApiResult<Response> {
    let v = s.app.get_transfer(p, id).await?;
    Ok(with_etag(v.version, v))
}

/// Edit a requested transfer.
#[utoipa::path(put, path = "/transfers/{id}", tag = "inventory", params(("id" = larder_core::TransferId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = TransferCommand, responses((status = 200, description = "Its locations, note and lines replaced; its version as the ETag", body = Transfer), (status = 409, description = "It is no longer requested", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_transfer(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<TransferId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<TransferCommand>,
) -> ApiResult<Response> {
    let r = s.app.update_transfer(p, id, cmd, v).await?;
    Ok(with_etag(r.version, r))
}

/// Send a requested transfer.
#[utoipa::path(post, path = "/transfers/{id}/send", tag = "inventory", params(("id" = larder_core::TransferId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), responses((status = 200, description = "Sent: out of the sender's stock (its lots taken FEFO, listed per line) and in transit", body = Transfer), (status = 403, description = "A member limited to locations without the sending one", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Not requested (already sent, received or cancelled): nothing is posted", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn send_transfer(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<TransferId>,
    IfMatch(v): IfMatch,
    IdemKey(k): IdemKey,
) -> ApiResult<Response> {
    Ok(moved(s.app.send_transfer(p, id, v, k).await?))
}

/// Receive a sent transfer.
#[utoipa::path(post, path = "/transfers/{id}/receive", tag = "inventory", params(("id" = larder_core::TransferId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read"), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = ReceiveCommand, responses((status = 200, description = "Received: the lots carried across into the receiver's stock; each line's discrepancy (short or over) recorded with its value", body = Transfer), (status = 403, description = "A member limited to locations without the receiving one", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Not sent (still requested, already received, or cancelled): nothing is posted", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn receive_transfer(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<TransferId>,
    IfMatch(v): IfMatch,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<ReceiveCommand>,
) -> ApiResult<Response> {
    Ok(moved(s.app.receive_transfer(p, id, cmd, v, k).await?))
}

/// Cancel a requested transfer.
#[utoipa::path(post, path = "/transfers/{id}/cancel", tag = "inventory", params(("id" = larder_core::TransferId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = CancelCommand, responses((status = 200, description = "Cancelled, the reason kept", body = Transfer), (status = 409, description = "Already sent (receive it instead), received or cancelled", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn cancel_transfer(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<TransferId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<CancelCommand>,
) -> ApiResult<Response> {
    let r = s.app.cancel_transfer(p, id, cmd, v).await?;
    Ok(with_etag(r.version, r))
}
