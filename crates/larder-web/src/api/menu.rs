//! `/recipes`, `/menu-items`.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use larder_app::menu::{MenuItemCommand, RecipeCommand};
use larder_core::RecipeId;
use serde::Deserialize;

use super::created;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiQuery, Auth, IdemKey};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/recipes", get(list_recipes).post(create_recipe))
        .route("/recipes/{id}", get(get_recipe))
        .route("/menu-items", get(list_menu_items).post(create_menu_item))
}

#[derive(Deserialize)]
struct PageQuery {
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn create_recipe(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<RecipeCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_recipe(p, cmd, k).await?;
    let location = format!("/api/v1/recipes/{}", r.value.id);
    Ok(created(r, location))
}

async fn get_recipe(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<RecipeId>,
) -> ApiResult<Response> {
    Ok(Json(s.app.get_recipe(p, id).await?).into_response())
}

async fn list_recipes(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_recipes(p, q.limit, q.cursor).await?).into_response())
}

async fn create_menu_item(
    State(s): State<AppState>,
    Auth(p): Auth,
    IdemKey(k): IdemKey,
    ApiJson(cmd): ApiJson<MenuItemCommand>,
) -> ApiResult<Response> {
    let r = s.app.create_menu_item(p, cmd, k).await?;
    let location = format!("/api/v1/menu-items/{}", r.value.id);
    Ok(created(r, location))
}

async fn list_menu_items(
    State(s): State<AppState>,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Response> {
    Ok(Json(s.app.list_menu_items(p, q.limit, q.cursor).await?).into_response())
}
