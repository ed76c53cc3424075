//! procurement: `/invoices` (entered as JSON or imported from CSV, Idempotency-Key on both),
//! `/purchase-orders/{id}/match` (the three-way match) and `/supplier-performance`
//! (issue 8, items 7 and 8; ADR 016).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::procurement::invoices::{InvoiceCommand, InvoiceQuery, PerformanceQuery};
use larder_core::{InvoiceId, PurchaseOrderId, SupplierId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::created;
use crate::error::ApiResult;
use crate::extract::{ApiCsv, ApiJson, ApiPath, ApiQuery, Auth, IdemKey};

/// The invoice, match and supplier performance routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_invoices, create_invoice))
        .routes(routes!(get_invoice))
        .routes(routes!(import_invoices))
        .routes(routes!(purchase_order_match))
        .routes(routes!(supplier_performance))
}

/// Enter a supplier's invoice: its total computed exactly, its prices appended to the
/// supplier items' price history from the invoice date.
#[utoipa::path(post, path = "/invoices", tag = "procurement", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = InvoiceCommand, responses((status = 201, description = "Entered, with what each price did to the price history", body = larder_app::procurement::invoices::Invoice), (status = 409, description = "The supplier has an invoice of that number, or the order is not agreed yet", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn create_invoice(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<InvoiceCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_invoice(p, cmd, k).await?;
    let location = format!("/api/v1/invoices/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/invoices", tag = "procurement", params(InvoiceQuery), responses((status = 200, description = "Invoices, newest first", body = larder_app::Page<larder_app::procurement::invoices::Invoice>)), security(("bearer" = [])))]
pub(crate) async fn list_invoices(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<InvoiceQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_invoices(p, q).await?).into_response())
}

#[utoipa::path(get, path = "/invoices/{id}", tag = "procurement", params(("id" = InvoiceId, Path, description = "Invoice id")), responses((status = 200, description = "The invoice with its lines", body = larder_app::procurement::invoices::Invoice)), security(("bearer" = [])))]
pub(crate) async fn get_invoice(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<InvoiceId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_invoice(p, id).await?).into_response())
}

/// Whose invoices a file holds.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportQuery {
    /// The supplier billing.
    supplier_id: SupplierId,
}

/// Import a supplier's invoices from CSV, all or nothing.
#[utoipa::path(post, path = "/invoices/import", tag = "procurement", params(ImportQuery, ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body(content = String, content_type = "text/csv", description = "Columns invoice_number, invoice_date, supplier_sku, packs, price_per_pack, and optional po_number, goods_receipt_id, receipt_line_no, stated_total; rows grouped into invoices by invoice_number; at most 1 MiB and 5,000 rows"), responses((status = 201, description = "Every invoice of the file, entered", body = larder_app::procurement::invoices::InvoiceImport), (status = 409, description = "The supplier has an invoice of a number in the file", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn import_invoices(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ImportQuery>,
    IdemKey(k): IdemKey,
    ApiCsv(body): ApiCsv,
) -> ApiResult<Response> {
    let r = s.app.import_invoices(p, q.supplier_id, body, k).await?;
    let location = format!("/api/v1/invoices?supplier_id={}", q.supplier_id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/purchase-orders/{id}/match", tag = "procurement", params(("id" = PurchaseOrderId, Path, description = "Purchase order id")), responses((status = 200, description = "Per supplier item what was ordered, received and invoiced, and every discrepancy (none: it matches)", body = larder_app::procurement::invoices::PurchaseOrderMatch)), security(("bearer" = [])))]
pub(crate) async fn purchase_order_match(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<PurchaseOrderId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.purchase_order_match(p, id).await?).into_response())
}

#[utoipa::path(get, path = "/supplier-performance", tag = "procurement", params(PerformanceQuery), responses((status = 200, description = "Per supplier over the orders expected in the period: on-time rate, fill rate (fractions, 4 decimals), promised and actual lead time (days, 2 decimals), price variance", body = larder_app::procurement::invoices::SupplierPerformanceReport)), security(("bearer" = [])))]
pub(crate) async fn supplier_performance(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PerformanceQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.supplier_performance(p, q).await?).into_response())
}
