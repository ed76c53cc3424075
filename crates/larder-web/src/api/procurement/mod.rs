//! procurement: `/suppliers`, `/supplier-items` with their price history, and the preferred
//! supplier of an item at a location (issue 8's first part); `/purchase-orders` in
//! [`purchase_orders`], `/reorder-suggestions` in [`reorder`].

mod goods_receipts;
mod invoices;
mod purchase_orders;
mod reorder;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::procurement::{
    PreferredSupplierCommand, SupplierCommand, SupplierItemCommand, SupplierItemQuery,
    SupplierPriceCommand, SupplierQuery,
};
use larder_core::{ItemId, LocationId, SupplierId, SupplierItemId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{created, with_etag};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey, IfMatch};

/// Procurement's routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_suppliers, create_supplier))
        .routes(routes!(get_supplier, update_supplier))
        .routes(routes!(list_supplier_items, create_supplier_item))
        .routes(routes!(get_supplier_item))
        .routes(routes!(add_supplier_price))
        .routes(routes!(set_preferred_supplier))
        .routes(routes!(import_price_list))
        .merge(purchase_orders::router())
        .merge(goods_receipts::router())
        .merge(reorder::router())
        .merge(invoices::router())
}

#[utoipa::path(post, path = "/supplier-items", tag = "procurement", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = SupplierItemCommand, responses((status = 201, description = "Created, its pack converted exactly to the item's base unit", body = larder_app::procurement::SupplierItem), (status = 409, description = "The supplier has that SKU", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn create_supplier_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<SupplierItemCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_supplier_item(p, cmd, k).await?;
    let location = format!("/api/v1/supplier-items/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/supplier-items", tag = "procurement", params(SupplierItemQuery), responses((status = 200, description = "Supplier items by SKU, with their prices", body = larder_app::Page<larder_app::procurement::SupplierItem>)), security(("bearer" = [])))]
pub(crate) async fn list_supplier_items(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<SupplierItemQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_supplier_items(p, q).await?).into_response())
}

#[utoipa::path(get, path = "/supplier-items/{id}", tag = "procurement", params(("id" = larder_core::SupplierItemId, Path)), responses((status = 200, description = "The supplier item with every price", body = larder_app::procurement::SupplierItem)), security(("bearer" = [])))]
pub(crate) async fn get_supplier_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<SupplierItemId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_supplier_item(p, id).await?).into_response())
}

#[utoipa::path(post, path = "/supplier-items/{id}/prices", tag = "procurement", params(("id" = larder_core::SupplierItemId, Path), ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = SupplierPriceCommand, responses((status = 201, description = "Recorded; the supplier item with every price", body = larder_app::procurement::SupplierItem), (status = 409, description = "A price from that same instant exists (prices are never replaced)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn add_supplier_price(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<SupplierItemId>,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<SupplierPriceCommand>,
) -> ApiResult<Response> {
    let r = s.app.add_supplier_price(p, id, cmd, k).await?;
    let location = format!("/api/v1/supplier-items/{id}");
    Ok(created(r, location))
}

#[utoipa::path(put, path = "/items/{id}/preferred-supplier/{location_id}", tag = "procurement", params(("id" = larder_core::ItemId, Path), ("location_id" = larder_core::LocationId, Path)), request_body = PreferredSupplierCommand, responses((status = 200, description = "The item is bought as this supplier item at the location", body = larder_app::procurement::SupplierItem)), security(("bearer" = [])))]
pub(crate) async fn set_preferred_supplier(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath((id, location)): ApiPath<(ItemId, LocationId)>,
    ApiJson(cmd): ApiJson<PreferredSupplierCommand>,
) -> ApiResult<Response> {
    Ok(Json(s.app.set_preferred_supplier(p, id, location, cmd).await?).into_response())
}

#[utoipa::path(post, path = "/suppliers", tag = "procurement", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = SupplierCommand, responses((status = 201, description = "Created", body = larder_app::procurement::Supplier), (status = 409, description = "A supplier of that name exists", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn create_supplier(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<SupplierCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_supplier(p, cmd, k).await?;
    let location = format!("/api/v1/suppliers/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/suppliers/{id}", tag = "procurement", params(("id" = larder_core::SupplierId, Path)), responses((status = 200, description = "The supplier, with its version as the ETag", body = larder_app::procurement::Supplier)), security(("bearer" = [])))]
pub(crate) async fn get_supplier(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<SupplierId>,
) -> ApiResult<Response> {
    let v = s.app.get_supplier(p, id).await?;
    Ok(with_etag(v.version, v))
}

#[utoipa::path(put, path = "/suppliers/{id}", tag = "procurement", params(("id" = larder_core::SupplierId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = SupplierCommand, responses((status = 200, description = "The supplier, with its version as the ETag", body = larder_app::procurement::Supplier), (status = 409, description = "A supplier of that name exists", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_supplier(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<SupplierId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<SupplierCommand>,
) -> ApiResult<Response> {
    let r = s.app.update_supplier(p, id, cmd, v).await?;
    Ok(with_etag(r.version, r))
}

#[utoipa::path(get, path = "/suppliers", tag = "procurement", params(SupplierQuery), responses((status = 200, description = "Suppliers by name", body = larder_app::Page<larder_app::procurement::Supplier>)), security(("bearer" = [])))]
pub(crate) async fn list_suppliers(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<SupplierQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_suppliers(p, q).await?).into_response())
}

/// Preview or import a price list.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PriceListQuery {
    /// Check the file and report, writing nothing.
    dry_run: Option<bool>,
}

#[utoipa::path(post, path = "/suppliers/{id}/price-list", tag = "procurement", params(("id" = larder_core::SupplierId, Path), PriceListQuery, ("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body(content = String, content_type = "text/csv", description = "The price list (`docs/price-list.md`), at most 1 MiB and 10,000 rows"), responses((status = 200, description = "What the file adds (new supplier items, prices); with any bad row (every one listed by line and column) or a dry run nothing is written (`committed: false`)", body = larder_app::procurement::PriceListReport)), security(("bearer" = [])))]
pub(crate) async fn import_price_list(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<SupplierId>,
    ApiQuery(q): ApiQuery<PriceListQuery>,
    IdemKey(k): IdemKey,
    crate::extract::ApiCsv(body): crate::extract::ApiCsv,
) -> ApiResult<Response> {
    let r = s
        .app
        .import_price_list(p, id, body, q.dry_run.unwrap_or(false), k)
        .await?;
    Ok(Json(r.value).into_response())
}
