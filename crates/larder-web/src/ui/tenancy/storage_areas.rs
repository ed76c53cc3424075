//! tenancy pages for storage areas: a location's areas in walking order (add, move up or
//! down, open) and one area's shelf list in shelf order (add an item, move it up or down,
//! take it off, rename or retire the area). Every control is a form post with big buttons, so
//! it works on a phone without script (ADR 018).

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use larder_app::catalog::ItemQuery;
use larder_app::tenancy::storage_areas::{
    ShelfCommand, ShelfItem, StorageArea, StorageAreaCommand, StorageAreaOrder,
};
use larder_app::{AppError, Principal};
use larder_core::auth::Permission;
use larder_core::{ItemId, Label, LocationId, StorageAreaId};

use super::super::error::{PageError, render};
use super::super::forms::{Fields, message, shown_again, text};
use super::super::session::Session;
use super::with_status;
use crate::AppState;

/// `GET|POST /locations/{id}/areas` (list, add), `POST /locations/{id}/areas/move`,
/// `GET|POST /areas/{id}` (shelf list, rename), `POST /areas/{id}/shelf`,
/// `POST /areas/{id}/retire`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/locations/{id}/areas", get(areas).post(add_area))
        .route("/locations/{id}/areas/move", post(move_area))
        .route("/areas/{id}", get(area).post(rename_area))
        .route("/areas/{id}/shelf", post(change_shelf))
        .route("/areas/{id}/retire", post(retire_area))
}

#[derive(Template)]
#[template(path = "tenancy/storage_areas.html")]
struct AreasPage {
    nav: &'static str,
    tenant_name: String,
    location_id: LocationId,
    location: String,
    areas: Vec<StorageArea>,
    editable: bool,
    error: Option<String>,
    name: String,
}

async fn areas_page(
    s: &AppState,
    p: Principal,
    location: LocationId,
    error: Option<String>,
    name: String,
) -> Result<AreasPage, PageError> {
    let me = s.app.me(p).await?;
    let loc = s.app.get_location(p, location).await?;
    Ok(AreasPage {
        nav: "locations",
        tenant_name: me.tenant_name,
        location_id: location,
        location: loc.name,
        areas: s.app.list_storage_areas(p, location).await?,
        editable: p.require(Permission::CatalogWrite).is_ok(),
        error,
        name,
    })
}

/// A location's storage areas in walking order.
async fn areas(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<LocationId>,
) -> Result<Response, PageError> {
    render(&areas_page(&s, p, id, None, String::new()).await?)
}

/// Adds an area at the end of the walk; a refused name shows the page again with it.
async fn add_area(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<LocationId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let result = match text("name", f.get("name"), Label::parse) {
        Ok(name) => s
            .app
            .create_storage_area(p, id, StorageAreaCommand { name }, None)
            .await
            .map(drop),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/locations/{id}/areas")).into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let page =
                    areas_page(&s, p, id, Some(message(&e)), f.get("name").to_owned()).await?;
                with_status(render(&page)?, status)
            }
            None => Err(e.into()),
        },
    }
}

/// `list` with the entry at `i` swapped with its neighbour in `dir` ("up" or "down").
fn moved<T: Clone>(list: &[T], i: usize, dir: &str) -> Vec<T> {
    let mut v = list.to_vec();
    match dir {
        "up" if i > 0 => v.swap(i, i - 1),
        "down" if i + 1 < v.len() => v.swap(i, i + 1),
        _ => {}
    }
    v
}

/// Moves an area one place up or down the walking order.
async fn move_area(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<LocationId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let area: StorageAreaId = f
        .get("area_id")
        .parse()
        .map_err(|_| AppError::invalid("area_id", "choose an area"))?;
    let ids: Vec<StorageAreaId> = s
        .app
        .list_storage_areas(p, id)
        .await?
        .iter()
        .map(|a| a.id)
        .collect();
    let i = ids
        .iter()
        .position(|a| *a == area)
        .ok_or(AppError::NotFound("storage area"))?;
    let ids = moved(&ids, i, f.get("dir"));
    s.app
        .reorder_storage_areas(p, id, StorageAreaOrder { ids })
        .await?;
    Ok(Redirect::to(&format!("/locations/{id}/areas#area-{area}")).into_response())
}

#[derive(Template)]
#[template(path = "tenancy/storage_area.html")]
struct AreaPage {
    nav: &'static str,
    tenant_name: String,
    area: StorageArea,
    shelf: Vec<ShelfItem>,
    /// Items not on this shelf yet: (id, name).
    choices: Vec<(ItemId, String)>,
    editable: bool,
    error: Option<String>,
}

async fn area_page(
    s: &AppState,
    p: Principal,
    id: StorageAreaId,
    error: Option<String>,
) -> Result<AreaPage, PageError> {
    let me = s.app.me(p).await?;
    let area = s.app.get_storage_area(p, id).await?;
    let shelf = s.app.area_items(p, id).await?;
    let items = s
        .app
        .list_items(
            p,
            ItemQuery {
                limit: Some(500),
                ..ItemQuery::default()
            },
        )
        .await?;
    let choices = items
        .data
        .into_iter()
        .filter(|i| !shelf.iter().any(|sh| sh.item_id == i.id))
        .map(|i| (i.id, i.name))
        .collect();
    Ok(AreaPage {
        nav: "locations",
        tenant_name: me.tenant_name,
        area,
        shelf,
        choices,
        editable: p.require(Permission::CatalogWrite).is_ok(),
        error,
    })
}

/// An area's shelf list in shelf order.
async fn area(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<StorageAreaId>,
) -> Result<Response, PageError> {
    render(&area_page(&s, p, id, None).await?)
}

/// Renames the area at the version the form read; a stale form (412) or a taken name shows
/// the page again saying so.
async fn rename_area(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<StorageAreaId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let result = match (text("name", f.get("name"), Label::parse), f.version()) {
        (Ok(name), Ok(v)) => s
            .app
            .rename_storage_area(p, id, StorageAreaCommand { name }, v)
            .await
            .map(drop),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/areas/{id}")).into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let page = area_page(&s, p, id, Some(message(&e))).await?;
                with_status(render(&page)?, status)
            }
            None => Err(e.into()),
        },
    }
}

/// Adds an item to the end of the shelf, moves one up or down, or takes one off.
async fn change_shelf(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<StorageAreaId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let item: ItemId = f
        .get("item_id")
        .parse()
        .map_err(|_| AppError::invalid("item_id", "choose an item"))?;
    let ids: Vec<ItemId> = s
        .app
        .area_items(p, id)
        .await?
        .iter()
        .map(|i| i.item_id)
        .collect();
    let at = ids.iter().position(|i| *i == item);
    let next = match (f.get("op"), at) {
        ("add", None) => ids.iter().copied().chain([item]).collect(),
        ("remove", Some(_)) => ids.iter().copied().filter(|i| *i != item).collect(),
        (dir @ ("up" | "down"), Some(i)) => moved(&ids, i, dir),
        _ => ids,
    };
    s.app
        .set_area_items(p, id, ShelfCommand { item_ids: next })
        .await?;
    Ok(Redirect::to(&format!("/areas/{id}#item-{item}")).into_response())
}

/// Retires the area: it leaves the location's list and count sheets.
async fn retire_area(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<StorageAreaId>,
) -> Result<Response, PageError> {
    let area = s.app.retire_storage_area(p, id).await?;
    Ok(Redirect::to(&format!("/locations/{}/areas", area.location_id)).into_response())
}
