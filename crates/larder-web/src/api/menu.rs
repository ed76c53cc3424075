//! menu: `/recipes`, `/menu-items`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_app::menu::{MenuItemCommand, RecipeCommand};
use larder_core::RecipeId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Auth, IdemKey};

/// The menu's routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_recipes, create_recipe))
        .routes(routes!(get_recipe))
        .routes(routes!(list_menu_items, create_menu_item))
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

#[utoipa::path(get, path = "/recipes/{id}", tag = "menu", params(("id" = larder_core::RecipeId, Path)), responses((status = 200, description = "OK", body = larder_app::menu::RecipeView), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn get_recipe(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<RecipeId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_recipe(p, id).await?).into_response())
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
