//! corrections: the effective-dated history of recipes and menu items
//! (`/recipes/{id}/history`, `/menu-items/{id}/history`). Edits take `effective_from` in the
//! menu's `PUT`s; late mappings happen in `POST /sales/aliases` (ADR 023).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use larder_core::{MenuItemId, RecipeId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiPath, Auth};

/// The corrections' routes with their OpenAPI paths.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(recipe_history))
        .routes(routes!(menu_item_history))
}

#[utoipa::path(get, path = "/recipes/{id}/history", tag = "menu", params(("id" = larder_core::RecipeId, Path)), responses((status = 200, description = "Every version of the recipe, newest first, each with when it was in force and its cost at today's item costs (a retired recipe keeps its history)", body = larder_app::corrections::RecipeHistory), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn recipe_history(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<RecipeId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.recipe_history(p, id).await?).into_response())
}

#[utoipa::path(get, path = "/menu-items/{id}/history", tag = "menu", params(("id" = larder_core::MenuItemId, Path)), responses((status = 200, description = "Every version of the menu item (recipe, portion, price), newest first, each with when it was in force and its cost at today's item costs", body = larder_app::corrections::MenuItemHistory), (status = 401, description = "Not authenticated", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 403, description = "Role lacks the permission", body = crate::error::ProblemDoc, content_type = "application/problem+json"), (status = 404, description = "Not found in your tenant", body = crate::error::ProblemDoc, content_type = "application/problem+json")), security(("bearer" = [])))]
pub(crate) async fn menu_item_history(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiPath(id): ApiPath<MenuItemId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.menu_item_history(p, id).await?).into_response())
}
