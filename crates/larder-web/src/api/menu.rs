//! menu: `/recipes`, `/menu-items`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::menu::{MenuItemCommand, RecipeCommand};
use larder_core::{MenuItemId, RecipeId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{created, with_etag};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey, IfMatch};

/// The menu's routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_recipes, create_recipe))
        .routes(routes!(get_recipe, update_recipe))
        .routes(routes!(retire_recipe))
        .routes(routes!(list_menu_items, create_menu_item))
        .routes(routes!(get_menu_item, update_menu_item))
        .routes(routes!(retire_menu_item))
}

#[utoipa::path(post, path = "/recipes", tag = "menu", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = larder_app::menu::RecipeCommand, responses((status = 201, description = "Created, costed", body = larder_app::menu::RecipeView), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn create_recipe(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<RecipeCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_recipe(p, cmd, k).await?;
    let location = format!("/api/v1/recipes/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/recipes/{id}", tag = "menu", params(("id" = larder_core::RecipeId, Path)), responses((status = 200, description = "The recipe costed (a retired one too), with its version as ETag", body = larder_app::menu::RecipeView), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn get_recipe(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<RecipeId>,
) -> ApiResult<Response> {
    let r = s.app.get_recipe(p, id).await?;
    Ok(with_etag(r.version, r))
}

#[utoipa::path(get, path = "/recipes", tag = "menu", params(larder_app::page::PageQuery), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::menu::RecipeView>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn list_recipes(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<larder_app::page::PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_recipes(p, q.limit, q.cursor).await?).into_response())
}

#[utoipa::path(post, path = "/menu-items", tag = "menu", params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: a repeat returns the first answer and writes nothing")), request_body = larder_app::menu::MenuItemCommand, responses((status = 201, description = "Created", body = larder_app::menu::MenuItem), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn create_menu_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<MenuItemCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_menu_item(p, cmd, k).await?;
    let location = format!("/api/v1/menu-items/{}", r.value.id);
    Ok(created(r, location))
}

#[utoipa::path(get, path = "/menu-items", tag = "menu", params(larder_app::page::PageQuery), responses((status = 200, description = "OK", body = larder_app::Page<larder_app::menu::MenuItem>), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn list_menu_items(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<larder_app::page::PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_menu_items(p, q.limit, q.cursor).await?).into_response())
}

#[utoipa::path(put, path = "/recipes/{id}", tag = "menu", params(("id" = larder_core::RecipeId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = larder_app::menu::RecipeCommand, responses((status = 200, description = "The recipe, replaced in place and costed", body = larder_app::menu::RecipeView), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_recipe(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<RecipeId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<RecipeCommand>,
) -> ApiResult<Response> {
    let r = s.app.update_recipe(p, id, cmd, v).await?;
    Ok(with_etag(r.version, r))
}

#[utoipa::path(post, path = "/recipes/{id}/retire", tag = "menu", params(("id" = larder_core::RecipeId, Path)), responses((status = 200, description = "The recipe, retired: it leaves lists and pickers and stays readable; what uses it keeps costing it", body = larder_app::menu::RecipeView), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn retire_recipe(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<RecipeId>,
) -> ApiResult<Response> {
    let r = s.app.retire_recipe(p, id).await?;
    Ok(with_etag(r.version, r))
}

#[utoipa::path(get, path = "/menu-items/{id}", tag = "menu", params(("id" = larder_core::MenuItemId, Path)), responses((status = 200, description = "The menu item with cost and margin (a retired one too), with its version as ETag", body = larder_app::menu::MenuItem), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn get_menu_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<MenuItemId>,
) -> ApiResult<Response> {
    let m = s.app.get_menu_item(p, id).await?;
    Ok(with_etag(m.version, m))
}

#[utoipa::path(put, path = "/menu-items/{id}", tag = "menu", params(("id" = larder_core::MenuItemId, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")), request_body = larder_app::menu::MenuItemCommand, responses((status = 200, description = "The menu item, replaced", body = larder_app::menu::MenuItem), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 412, description = "Stale If-Match", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 409, description = "Conflict", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 422, description = "Invalid field (named in `field`)", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn update_menu_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<MenuItemId>,
    IfMatch(v): IfMatch,
    ApiJson(cmd): ApiJson<MenuItemCommand>,
) -> ApiResult<Response> {
    let m = s.app.update_menu_item(p, id, cmd, v).await?;
    Ok(with_etag(m.version, m))
}

#[utoipa::path(post, path = "/menu-items/{id}/retire", tag = "menu", params(("id" = larder_core::MenuItemId, Path)), responses((status = 200, description = "The menu item, retired: it leaves the menu; its sales still record", body = larder_app::menu::MenuItem), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn retire_menu_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<MenuItemId>,
) -> ApiResult<Response> {
    let m = s.app.retire_menu_item(p, id).await?;
    Ok(with_etag(m.version, m))
}
