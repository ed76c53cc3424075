//! catalog pages: the items list (search by name, or by barcode when a scanner types digits)
//! and an item's page with its stock per location and latest movements.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use larder_app::AppError;
use larder_app::catalog::ItemQuery;
use larder_app::inventory::{MovementQuery, StockQuery};
use larder_core::{BaseUnit, Code, ItemId, Label};
use serde::Deserialize;

use super::error::{PageError, render};
use super::format::{numbers_for, urlencode};
use super::inventory::{StockRow, stock_rows};
use super::session::Session;
use crate::AppState;

/// `GET /items`, `GET /items/{id}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/items", get(items))
        .route("/items/{id}", get(item))
}

struct ItemRowView {
    id: ItemId,
    name: String,
    category: String,
    base_unit: BaseUnit,
    unit_cost: String,
    packs: String,
}

#[derive(Template)]
#[template(path = "catalog/items.html")]
struct ItemsPage {
    nav: &'static str,
    tenant_name: String,
    q: String,
    items: Vec<ItemRowView>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct ItemsQuery {
    q: Option<String>,
    cursor: Option<String>,
}

/// Items matching `?q=` (a name, or all digits for a barcode), 100 a page.
async fn items(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<ItemsQuery>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let n = numbers_for(&s.app, p).await?;
    let text = q.q.clone().unwrap_or_default().trim().to_owned();
    // A scanner types digits: treat an all-digit query as a barcode.
    let by_barcode = !text.is_empty() && text.chars().all(|c| c.is_ascii_digit());
    let invalid = |e: larder_core::TextError| AppError::invalid("q", e.to_string());
    let query = ItemQuery {
        q: match (!by_barcode && !text.is_empty()).then(|| Label::parse(&text)) {
            Some(r) => Some(r.map_err(invalid)?),
            None => None,
        },
        barcode: match by_barcode.then(|| Code::parse(&text)) {
            Some(r) => Some(r.map_err(invalid)?),
            None => None,
        },
        limit: Some(100),
        cursor: q.cursor,
        ..Default::default()
    };
    let page = s.app.list_items(p, query).await?;
    render(&ItemsPage {
        nav: "items",
        tenant_name: me.tenant_name,
        next: page
            .next_cursor
            .map(|c| format!("/items?q={}&cursor={c}", urlencode(&text))),
        q: text,
        items: page
            .data
            .into_iter()
            .map(|i| ItemRowView {
                id: i.id,
                category: i.category.unwrap_or_default(),
                base_unit: i.base_unit,
                unit_cost: n.unit_cost(i.unit_cost, i.base_unit),
                packs: n.packs(&i.pack_sizes, i.base_unit),
                name: i.name,
            })
            .collect(),
    })
}

struct MovementView {
    when: String,
    kind: String,
    quantity: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "catalog/item.html")]
struct ItemPage {
    nav: &'static str,
    tenant_name: String,
    name: String,
    category: String,
    base_unit: BaseUnit,
    unit_cost: String,
    packs: String,
    barcode: Option<String>,
    stock: Vec<StockRow>,
    movements: Vec<MovementView>,
}

/// One item: its details, stock per location (100) and latest movements (20).
async fn item(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<ItemId>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let n = numbers_for(&s.app, p).await?;
    let item = s.app.get_item(p, id).await?;
    let stock = s
        .app
        .list_stock(
            p,
            StockQuery {
                item_id: Some(id),
                limit: Some(100),
                ..Default::default()
            },
        )
        .await?;
    let locations = s.app.list_locations(p, Some(500), None).await?;
    let moves = s
        .app
        .list_movements(
            p,
            MovementQuery {
                item_id: Some(id),
                limit: Some(20),
                order: Some(larder_core::inventory::MovementOrder::Occurred),
                ..Default::default()
            },
        )
        .await?;
    render(&ItemPage {
        nav: "items",
        tenant_name: me.tenant_name,
        category: item.category.clone().unwrap_or_default(),
        base_unit: item.base_unit,
        unit_cost: n.unit_cost(item.unit_cost, item.base_unit),
        packs: n.packs(&item.pack_sizes, item.base_unit),
        barcode: item.barcode.clone(),
        stock: stock_rows(&stock.data, &locations.data, &n),
        movements: moves
            .data
            .iter()
            .map(|m| MovementView {
                when: m.occurred_at.format("%Y-%m-%d %H:%M").to_string(),
                kind: m.kind.to_string(),
                quantity: n.quantity(m.quantity, item.base_unit),
                reason: m.reason.clone().unwrap_or_default(),
            })
            .collect(),
        name: item.name,
    })
}
