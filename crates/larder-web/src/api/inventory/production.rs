//! inventory: production (ADR 022): `/recipes/{id}/production` (what a recipe makes, its
//! shelf life and usual batch), `/production-batches` (make a batch: ingredients out FEFO at
//! lot cost, a lot of the produced item in; Idempotency-Key), and `/prep-list`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::inventory::production::{
    PrepListQuery, ProductionBatchQuery, ProductionCommand, ProductionSettingsCommand,
};
use larder_core::{ProductionBatchId, RecipeId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{created, with_etag};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey, IfMatch};

/// Production's routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_production_settings, put_production_settings))
        .routes(routes!(list_production_batches, produce))
        .routes(routes!(get_production_batch))
        .routes(routes!(prep_list))
}

/// Set what production needs to know about a recipe.
#[utoipa::path(put, path = "/recipes/{id}/production", tag = "inventory", params(("id" = RecipeId, Path, description = "Recipe id"), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = ProductionSettingsCommand, responses((status = 200, description = "The recipe's production settings (the item it makes, shelf life, usual batch) with its yield variance", body = larder_app::inventory::production::ProductionSettings), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn put_production_settings(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<RecipeId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<ProductionSettingsCommand>,
) -> ApiResult<Response> {
    let r = s.app.put_production_settings(p, id, cmd, v).await?;
    Ok(with_etag(r.version, r))
}

#[utoipa::path(get, path = "/recipes/{id}/production", tag = "inventory", params(("id" = RecipeId, Path, description = "Recipe id")), responses((status = 200, description = "The recipe's production settings with its yield variance over its latest batches", body = larder_app::inventory::production::ProductionSettings)), security(("bearer" = [])))]
pub(crate) async fn get_production_settings(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<RecipeId>,
) -> ApiResult<Response> {
    let r = s.app.get_production_settings(p, id).await?;
    Ok(with_etag(r.version, r))
}

/// Make a batch of a recipe.
#[utoipa::path(post, path = "/production-batches", tag = "inventory", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = ProductionCommand, responses((status = 201, description = "Made: what each ingredient cost and the lot made (coded with the batch number, valued at exactly what was consumed)", body = larder_app::inventory::production::ProductionBatch)), security(("bearer" = [])))]
pub(crate) async fn produce(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<ProductionCommand>,
) -> ApiResult<Response> {
    let r = s.app.produce(p, cmd, k).await?;
    let location = format!("/api/v1/production-batches/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/production-batches", tag = "inventory", params(ProductionBatchQuery), responses((status = 200, description = "Batches, newest first, each with its yield variance (a limited member's locations' only)", body = larder_app::Page<larder_app::inventory::production::ProductionBatch>)), security(("bearer" = [])))]
pub(crate) async fn list_production_batches(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ProductionBatchQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_production_batches(p, q).await?).into_response())
}

#[utoipa::path(get, path = "/production-batches/{id}", tag = "inventory", params(("id" = ProductionBatchId, Path, description = "Production batch id")), responses((status = 200, description = "The batch with what each ingredient took from which lot, at what cost", body = larder_app::inventory::production::ProductionBatch)), security(("bearer" = [])))]
pub(crate) async fn get_production_batch(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<ProductionBatchId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_production_batch(p, id).await?).into_response())
}

/// What to make on a day at a location.
#[utoipa::path(get, path = "/prep-list", tag = "inventory", params(PrepListQuery), responses((status = 200, description = "Per produced item with a par level there: on hand, expected usage (mean of the same weekday over 4 weeks of sales), and what to make in whole batches", body = larder_app::inventory::production::PrepList)), security(("bearer" = [])))]
pub(crate) async fn prep_list(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PrepListQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.prep_list(p, q).await?).into_response())
}
