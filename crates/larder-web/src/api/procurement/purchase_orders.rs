//! procurement: `/purchase-orders` (issue 8, part 2; ADR 013): create (Idempotency-Key), list
//! with filters and a cursor, read and edit a draft (`ETag` / `If-Match`), move it on
//! (`submit`, `approve`, `send`, `cancel`, `close`, each at its `If-Match` version), the
//! documents it was sent as, and emailing a sent order with its PDF (`email`, ADR 029).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use larder_app::procurement::po_email::PurchaseOrderEmailCommand;
use larder_app::procurement::purchase_orders::{
    DocumentKind, PurchaseOrderCommand, PurchaseOrderQuery, PurchaseOrderReason,
};
use larder_core::PurchaseOrderId;
use larder_core::procurement::purchase_orders::PoAction;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{created, with_etag};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey, IfMatch};

/// The purchase-order routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_purchase_orders, create_purchase_order))
        .routes(routes!(get_purchase_order, update_purchase_order))
        .routes(routes!(submit_purchase_order))
        .routes(routes!(approve_purchase_order))
        .routes(routes!(send_purchase_order))
        .routes(routes!(cancel_purchase_order))
        .routes(routes!(close_purchase_order))
        .routes(routes!(purchase_order_document))
        .routes(routes!(email_purchase_order))
}

#[utoipa::path(post, path = "/purchase-orders", tag = "procurement", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = PurchaseOrderCommand, responses((status = 201, description = "Created as a draft, numbered next in the tenant, with its version as the ETag", body = larder_app::procurement::purchase_orders::PurchaseOrder)), security(("bearer" = [])))]
pub(crate) async fn create_purchase_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<PurchaseOrderCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_purchase_order(p, cmd, k).await?;
    let location = format!("/api/v1/purchase-orders/{}", r.value.id);
    let version = r.value.version;
    let mut res = created(r, location);
    if let Ok(v) = HeaderValue::from_str(&crate::extract::etag(version)) {
        res.headers_mut().insert(header::ETAG, v);
    }
    Ok(res)
}

#[utoipa::path(get, path = "/purchase-orders", tag = "procurement", params(PurchaseOrderQuery), responses((status = 200, description = "Purchase orders, newest first (a limited member's locations' only)", body = larder_app::Page<larder_app::procurement::purchase_orders::PurchaseOrderSummary>)), security(("bearer" = [])))]
pub(crate) async fn list_purchase_orders(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PurchaseOrderQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_purchase_orders(p, q).await?).into_response())
}

#[utoipa::path(get, path = "/purchase-orders/{id}", tag = "procurement", params(("id" = larder_core::PurchaseOrderId, Path)), responses((status = 200, description = "The purchase order with its lines, events and allowed actions; its version as the ETag", body = larder_app::procurement::purchase_orders::PurchaseOrder)), security(("bearer" = [])))]
pub(crate) async fn get_purchase_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<PurchaseOrderId>,
) -> ApiResult<Response> {
    let v = s.app.get_purchase_order(p, id).await?;
    Ok(with_etag(v.version, v))
}

#[utoipa::path(put, path = "/purchase-orders/{id}", tag = "procurement", params(("id" = larder_core::PurchaseOrderId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = PurchaseOrderCommand, responses((status = 200, description = "The draft with its header and lines replaced; its version as the ETag", body = larder_app::procurement::purchase_orders::PurchaseOrder), (status = 409, description = "It is no longer a draft", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_purchase_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<PurchaseOrderId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<PurchaseOrderCommand>,
) -> ApiResult<Response> {
    let r = s.app.update_purchase_order(p, id, cmd, v).await?;
    Ok(with_etag(r.version, r))
}

/// Runs `action` on a purchase order and answers it with its new version as the ETag.
async fn transition(
    s: &AppState,
    p: larder_app::Principal,
    id: PurchaseOrderId,
    action: PoAction,
    reason: Option<larder_core::Note>,
    if_match: Option<i64>,
) -> ApiResult<Response> {
    let r = s
        .app
        .transition_purchase_order(p, id, action, reason, if_match)
        .await?;
    Ok(with_etag(r.version, r))
}

#[utoipa::path(post, path = "/purchase-orders/{id}/submit", tag = "procurement", params(("id" = larder_core::PurchaseOrderId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), responses((status = 200, description = "Submitted for approval", body = larder_app::procurement::purchase_orders::PurchaseOrder), (status = 409, description = "Not a draft", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn submit_purchase_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<PurchaseOrderId>,
    IfMatch(v): IfMatch,
) -> ApiResult<Response> {
    transition(&s, p, id, PoAction::Submit, None, v).await
}

#[utoipa::path(post, path = "/purchase-orders/{id}/approve", tag = "procurement", params(("id" = larder_core::PurchaseOrderId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), responses((status = 200, description = "Approved (at or below the tenant's approval threshold purchase_orders.write is enough; above it, or when the tenant sets none, purchase_orders.approve is needed)", body = larder_app::procurement::purchase_orders::PurchaseOrder), (status = 403, description = "Above the approval threshold without purchase_orders.approve", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Not submitted", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn approve_purchase_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<PurchaseOrderId>,
    IfMatch(v): IfMatch,
) -> ApiResult<Response> {
    transition(&s, p, id, PoAction::Approve, None, v).await
}

#[utoipa::path(post, path = "/purchase-orders/{id}/send", tag = "procurement", params(("id" = larder_core::PurchaseOrderId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), responses((status = 200, description = "Sent: its PDF and CSV rendered and kept (`/documents/pdf`, `/documents/csv`)", body = larder_app::procurement::purchase_orders::PurchaseOrder), (status = 409, description = "Not approved", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn send_purchase_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<PurchaseOrderId>,
    IfMatch(v): IfMatch,
) -> ApiResult<Response> {
    transition(&s, p, id, PoAction::Send, None, v).await
}

#[utoipa::path(post, path = "/purchase-orders/{id}/cancel", tag = "procurement", params(("id" = larder_core::PurchaseOrderId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = PurchaseOrderReason, responses((status = 200, description = "Cancelled, the reason kept on its event", body = larder_app::procurement::purchase_orders::PurchaseOrder), (status = 409, description = "Already final, or goods were received (close it short instead)", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn cancel_purchase_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<PurchaseOrderId>,
    IfMatch(v): IfMatch,
    ApiJson(body): ApiJson<PurchaseOrderReason>,
) -> ApiResult<Response> {
    transition(&s, p, id, PoAction::Cancel, Some(body.reason), v).await
}

#[utoipa::path(post, path = "/purchase-orders/{id}/close", tag = "procurement", params(("id" = larder_core::PurchaseOrderId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = PurchaseOrderReason, responses((status = 200, description = "Closed short: part was received and the rest will not come; the reason kept on its event", body = larder_app::procurement::purchase_orders::PurchaseOrder), (status = 409, description = "Not partially received", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn close_purchase_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<PurchaseOrderId>,
    IfMatch(v): IfMatch,
    ApiJson(body): ApiJson<PurchaseOrderReason>,
) -> ApiResult<Response> {
    transition(&s, p, id, PoAction::Close, Some(body.reason), v).await
}

#[utoipa::path(get, path = "/purchase-orders/{id}/documents/{kind}", tag = "procurement", params(("id" = larder_core::PurchaseOrderId, Path), ("kind" = DocumentKind, Path, description = "pdf or csv")), responses((status = 200, description = "The document as it was sent, byte for byte (404 before the order is sent)", content((String = "application/pdf"), (String = "text/csv")))), security(("bearer" = [])))]
pub(crate) async fn purchase_order_document(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath((id, kind)): ApiPath<(PurchaseOrderId, DocumentKind)>,
) -> ApiResult<Response> {
    let d = s.app.purchase_order_document(p, id, kind).await?;
    let mut res = d.body.into_response();
    if let Ok(v) = HeaderValue::from_str(&d.content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", d.file_name)) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

#[utoipa::path(post, path = "/purchase-orders/{id}/email", tag = "procurement", params(("id" = larder_core::PurchaseOrderId, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and queues nothing twice")), request_body = PurchaseOrderEmailCommand, responses((status = 201, description = "Queued: a mail to the supplier's email (or `to`) with the PDF the order was sent as, byte for byte; `Location` is the mail in the delivery log (`GET /mail/{id}`), where its sending shows", body = larder_app::procurement::po_email::PurchaseOrderEmailed), (status = 409, description = "The order has not been sent (no PDF was kept), or was cancelled", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "No address: the supplier has no email and `to` is empty; or an address mail cannot be sent to (`to[i]`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn email_purchase_order(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<PurchaseOrderId>,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<PurchaseOrderEmailCommand>,
) -> ApiResult<Response> {
    let r = s.app.email_purchase_order(p, id, cmd, k).await?;
    let location = format!("/api/v1/mail/{}", r.value.mail.id);
    Ok(created(r, location))
}
