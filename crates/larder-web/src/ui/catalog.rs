//! catalog pages: the items list (search by name, or by barcode when a scanner types digits),
//! an item's page with its stock per location, par levels and latest movements, and the
//! item form (create and edit, with the version read) for those with `catalog.write`.
//!
//! People type quantities and costs in the unit they buy in (a 25 kg sack, £1.60 per kg); the
//! form converts exactly to the base unit the API keeps, and refuses what is finer than it.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use larder_app::catalog::{
    EntryRounding, Item, ItemCommand, ItemQuery, PackSizeCommand, ParLevelCommand,
};
use larder_app::inventory::{MovementQuery, StockQuery};
use larder_app::{AppError, Principal};
use larder_core::auth::Permission;
use larder_core::{BaseUnit, Code, ItemId, Label, LocationId, Name, Quantity};
use serde::Deserialize;

use super::error::{PageError, render};
use super::format::{numbers_for, urlencode};
use super::forms::{Fields, message, money_per, opt_text, plain, quantity_in, shown_again, text};
use super::inventory::{StockRow, stock_rows};
use super::session::Session;
use super::tenancy::with_status;
use crate::AppState;

/// `GET /items`, `POST /items` (create), `GET /items/new`, `GET /items/{id}`, `POST
/// /items/{id}` (save with the version read), `GET /items/{id}/edit`, `POST
/// /items/{id}/par-levels`, `POST /items/{id}/retire`, `GET /assets/scan.js`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/items", get(items).post(create_item))
        .route("/items/new", get(new_item))
        .route("/items/{id}", get(item).post(save_item))
        .route("/items/{id}/edit", get(edit_item))
        .route("/items/{id}/par-levels", post(save_par_level))
        .route("/items/{id}/retire", post(retire_item))
        .route("/assets/scan.js", get(scan_script))
}

/// The scanning script every page that asks for a code includes (its contract is at the top
/// of the file, and in ADR 018).
const SCAN_JS: &str = include_str!("../../assets/scan.js");

/// `GET /assets/scan.js`.
async fn scan_script() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        SCAN_JS,
    )
        .into_response()
}

/// The units a quantity or cost may be typed in for an item counted in `base`, with how many
/// base units each holds: the base unit and its thousandfold (g and kg, ml and L), or each.
fn units_for(base: BaseUnit) -> &'static [(&'static str, i128)] {
    match base {
        BaseUnit::G => &[("kg", 1000), ("g", 1)],
        BaseUnit::Ml => &[("L", 1000), ("ml", 1)],
        BaseUnit::Ea => &[("ea", 1)],
    }
}

/// How many base units of `base` one `unit` (as [`units_for`] names it) holds.
///
/// # Errors
/// 422 on `field` when the unit does not measure the item.
fn per_base(field: &str, unit: &str, base: BaseUnit) -> Result<i128, AppError> {
    units_for(base)
        .iter()
        .find(|(u, _)| *u == unit)
        .map(|(_, n)| *n)
        .ok_or_else(|| {
            let names: Vec<&str> = units_for(base).iter().map(|(u, _)| *u).collect();
            AppError::invalid(
                field,
                format!(
                    "give it in {} for an item counted in {base}",
                    names.join(" or ")
                ),
            )
        })
}

/// A quantity of `base` for a form: in the larger unit from one of it up, else the base unit.
fn quantity_field(q: Quantity, base: BaseUnit) -> (String, &'static str) {
    let raw = i128::from(q.raw());
    match base {
        BaseUnit::G if raw.abs() >= 1_000_000 => (plain(raw, 6), "kg"),
        BaseUnit::Ml if raw.abs() >= 1_000_000 => (plain(raw, 6), "L"),
        BaseUnit::G => (plain(raw, 3), "g"),
        BaseUnit::Ml => (plain(raw, 3), "ml"),
        BaseUnit::Ea => (plain(raw, 3), "ea"),
    }
}

/// A pack row of the item form, as typed.
#[derive(Clone, Debug, Default)]
struct PackField {
    name: String,
    quantity: String,
    unit: String,
}

/// The item form as typed.
#[derive(Clone, Debug)]
struct ItemForm {
    name: String,
    sku: String,
    category: String,
    base_unit: String,
    packs: Vec<PackField>,
    barcode: String,
    unit_cost: String,
    cost_per: String,
    version: String,
    density: String,
    density_source: String,
    entry_step: String,
    entry_rounding: String,
}

/// Blank pack rows a form offers below the filled ones (more with "More pack rows").
const SPARE_PACKS: usize = 2;

impl ItemForm {
    fn blank() -> Self {
        Self {
            name: String::new(),
            sku: String::new(),
            category: String::new(),
            base_unit: "g".into(),
            packs: vec![PackField::default(); SPARE_PACKS],
            barcode: String::new(),
            unit_cost: String::new(),
            cost_per: "kg".into(),
            version: String::new(),
            density: String::new(),
            density_source: String::new(),
            entry_step: String::new(),
            entry_rounding: String::new(),
        }
    }

    fn of(i: &Item) -> Self {
        let mut packs: Vec<PackField> = i
            .pack_sizes
            .iter()
            .map(|p| {
                let (quantity, unit) = quantity_field(p.quantity, i.base_unit);
                PackField {
                    name: p.name.clone(),
                    quantity,
                    unit: unit.into(),
                }
            })
            .collect();
        packs.extend(vec![PackField::default(); SPARE_PACKS]);
        let (cost, per) = match (i.unit_cost, i.base_unit) {
            (None, b) => (String::new(), units_for(b)[0].0),
            (Some(c), BaseUnit::Ea) => (plain(i128::from(c.raw()), 6), "ea"),
            (Some(c), b) => (plain(i128::from(c.raw()) * 1000, 6), units_for(b)[0].0),
        };
        Self {
            name: i.name.clone(),
            sku: i.sku.clone().unwrap_or_default(),
            category: i.category.clone().unwrap_or_default(),
            base_unit: i.base_unit.to_string(),
            packs,
            barcode: i.barcode.clone().unwrap_or_default(),
            unit_cost: cost,
            cost_per: per.into(),
            version: i.version.to_string(),
            density: i.density.map(|d| d.to_string()).unwrap_or_default(),
            density_source: i.density_source.clone().unwrap_or_default(),
            entry_step: plain(i128::from(i.entry_step.raw()), 3),
            entry_rounding: match i.entry_rounding {
                EntryRounding::Round => "round".into(),
                EntryRounding::Refuse => "refuse".into(),
            },
        }
    }

    fn typed(f: &Fields, more: usize) -> Self {
        let (names, quantities, units) = (
            f.all("pack_name"),
            f.all("pack_quantity"),
            f.all("pack_unit"),
        );
        let mut packs: Vec<PackField> = names
            .iter()
            .enumerate()
            .map(|(i, n)| PackField {
                name: (*n).to_owned(),
                quantity: quantities.get(i).copied().unwrap_or("").to_owned(),
                unit: units.get(i).copied().unwrap_or("").to_owned(),
            })
            .collect();
        packs.extend(vec![PackField::default(); more]);
        Self {
            name: f.get("name").to_owned(),
            sku: f.get("sku").to_owned(),
            category: f.get("category").to_owned(),
            base_unit: f.get("base_unit").to_owned(),
            packs,
            barcode: f.get("barcode").to_owned(),
            unit_cost: f.get("unit_cost").to_owned(),
            cost_per: f.get("cost_per").to_owned(),
            version: f.get("version").to_owned(),
            density: f.get("density").to_owned(),
            density_source: f.get("density_source").to_owned(),
            entry_step: f.get("entry_step").to_owned(),
            entry_rounding: f.get("entry_rounding").to_owned(),
        }
    }
}

/// The command of a posted item form; blank pack rows are skipped, and fields are named as
/// the API names them (`pack_sizes[1].quantity`).
///
/// `stored` is the base unit of the item being edited: it cannot change, so packs and cost are
/// converted with it whatever the form says.
fn item_command(f: &Fields, stored: Option<BaseUnit>) -> Result<ItemCommand, AppError> {
    let base: BaseUnit = match stored {
        Some(b) => b,
        None => f
            .get("base_unit")
            .parse()
            .map_err(|e: larder_core::units::UnitError| {
                AppError::invalid("base_unit", e.to_string())
            })?,
    };
    let (names, quantities, units) = (
        f.all("pack_name"),
        f.all("pack_quantity"),
        f.all("pack_unit"),
    );
    let mut pack_sizes = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let quantity = quantities.get(i).copied().unwrap_or("");
        if name.is_empty() && quantity.is_empty() {
            continue;
        }
        let n = pack_sizes.len();
        if name.is_empty() {
            return Err(AppError::invalid(
                format!("pack_sizes[{n}].name"),
                "give the pack a name, such as sack or case of 12",
            ));
        }
        // "4 packs": what the pack contains, in other packs or units (a number, then words).
        if quantity.starts_with(|c: char| c.is_ascii_digit())
            && quantity.chars().any(char::is_alphabetic)
        {
            pack_sizes.push(PackSizeCommand {
                name: (*name).to_owned(),
                quantity: None,
                contains: Some(quantity.to_owned()),
            });
            continue;
        }
        let field = format!("pack_sizes[{n}].quantity");
        let per = per_base(&field, units.get(i).copied().unwrap_or(""), base)?;
        pack_sizes.push(PackSizeCommand {
            contains: None,
            name: (*name).to_owned(),
            quantity: Some(quantity_in(&field, quantity, per)?),
        });
    }
    let unit_cost = match f.opt("unit_cost") {
        None => None,
        Some(c) => Some(money_per(
            "unit_cost",
            c,
            per_base("unit_cost", f.get("cost_per"), base)?,
        )?),
    };
    Ok(ItemCommand {
        name: text("name", f.get("name"), Name::parse)?,
        sku: opt_text("sku", f.opt("sku"), Code::parse)?,
        category: opt_text("category", f.opt("category"), Label::parse)?,
        base_unit: base,
        pack_sizes,
        barcode: f.opt("barcode").map(str::to_owned),
        unit_cost,
        density: f
            .opt("density")
            .map(larder_core::decimal::Density::parse)
            .transpose()
            .map_err(|e| AppError::invalid("density", format!("grams per millilitre: {e}")))?,
        density_source: opt_text("density_source", f.opt("density_source"), Name::parse)?,
        entry_step: f
            .opt("entry_step")
            .map(Quantity::parse)
            .transpose()
            .map_err(|e| AppError::invalid("entry_step", e.to_string()))?,
        entry_rounding: match f.get("entry_rounding") {
            "round" => Some(EntryRounding::Round),
            "refuse" => Some(EntryRounding::Refuse),
            _ => None,
        },
    })
}

#[derive(Template)]
#[template(path = "catalog/item_form.html")]
struct ItemFormPage {
    nav: &'static str,
    tenant_name: String,
    /// `None` for a new item.
    id: Option<ItemId>,
    error: Option<String>,
    form: ItemForm,
}

impl ItemFormPage {
    fn action(&self) -> String {
        self.id
            .map_or_else(|| "/items".to_owned(), |id| format!("/items/{id}"))
    }
}

async fn item_form_page(
    s: &AppState,
    p: Principal,
    id: Option<ItemId>,
    form: ItemForm,
    error: Option<String>,
) -> Result<ItemFormPage, PageError> {
    let me = s.app.me(p).await?;
    Ok(ItemFormPage {
        nav: "items",
        tenant_name: me.tenant_name,
        id,
        error,
        form,
    })
}

/// The form of a new item.
async fn new_item(State(s): State<AppState>, Session(p): Session) -> Result<Response, PageError> {
    p.require(Permission::CatalogWrite)?;
    render(&item_form_page(&s, p, None, ItemForm::blank(), None).await?)
}

/// The edit form of an item, with its version.
async fn edit_item(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<ItemId>,
) -> Result<Response, PageError> {
    p.require(Permission::CatalogWrite)?;
    let item = s.app.get_item(p, id).await?;
    render(&item_form_page(&s, p, Some(id), ItemForm::of(&item), None).await?)
}

/// Creates an item and shows its page; "More pack rows" shows the form again with three
/// more; a refused item shows the form again with what was typed and the reason.
async fn create_item(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    p.require(Permission::CatalogWrite)?;
    let f = Fields(f);
    if f.has("more") {
        return render(&item_form_page(&s, p, None, ItemForm::typed(&f, 3), None).await?);
    }
    let result = match item_command(&f, None) {
        Ok(cmd) => s.app.create_item(p, cmd, None).await.map(|r| r.value.id),
        Err(e) => Err(e),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/items/{id}?saved=1")).into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let page =
                    item_form_page(&s, p, None, ItemForm::typed(&f, 0), Some(message(&e))).await?;
                with_status(render(&page)?, status)
            }
            None => Err(e.into()),
        },
    }
}

/// Saves an item when the form's version is still current; a stale form is shown again
/// (412) with the current values and a sentence saying nothing was saved.
async fn save_item(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<ItemId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    p.require(Permission::CatalogWrite)?;
    let f = Fields(f);
    if f.has("more") {
        return render(&item_form_page(&s, p, Some(id), ItemForm::typed(&f, 3), None).await?);
    }
    let stored = s.app.get_item(p, id).await?.base_unit;
    let result = match (item_command(&f, Some(stored)), f.version()) {
        (Ok(cmd), Ok(v)) => s.app.update_item(p, id, cmd, v).await.map(drop),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/items/{id}?saved=1")).into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let form = if status == StatusCode::PRECONDITION_FAILED {
                    ItemForm::of(&s.app.get_item(p, id).await?)
                } else {
                    ItemForm::typed(&f, 0)
                };
                let page = item_form_page(&s, p, Some(id), form, Some(message(&e))).await?;
                with_status(render(&page)?, status)
            }
            None => Err(e.into()),
        },
    }
}

/// Sets the item's par level and reorder point at one location, typed in the unit chosen.
async fn save_par_level(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<ItemId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    p.require(Permission::CatalogWrite)?;
    let f = Fields(f);
    let item = s.app.get_item(p, id).await?;
    let location: LocationId = f
        .get("location_id")
        .parse()
        .map_err(|_| AppError::invalid("location_id", "choose a location"))?;
    let unit = f.get("unit");
    let amount = |field: &str| -> Result<Option<Quantity>, AppError> {
        match f.opt(field) {
            None => Ok(None),
            Some(v) => Ok(Some(quantity_in(
                field,
                v,
                per_base(field, unit, item.base_unit)?,
            )?)),
        }
    };
    let cmd = ParLevelCommand {
        par_level: amount("par_level")?,
        reorder_point: amount("reorder_point")?,
    };
    s.app.set_par_level(p, id, location, cmd).await?;
    Ok(Redirect::to(&format!("/items/{id}?saved=1#par-levels")).into_response())
}

/// Retires the item: it leaves the list and the recipe form, and keeps its page and history.
async fn retire_item(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<ItemId>,
) -> Result<Response, PageError> {
    s.app.retire_item(p, id).await?;
    Ok(Redirect::to(&format!("/items/{id}")).into_response())
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
    editable: bool,
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
        editable: p.require(Permission::CatalogWrite).is_ok(),
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

/// One location's row of the par levels form.
struct ParRow {
    location_id: LocationId,
    location: String,
    par_level: String,
    reorder_point: String,
    unit: &'static str,
}

#[derive(Template)]
#[template(path = "catalog/item.html")]
struct ItemPage {
    nav: &'static str,
    tenant_name: String,
    id: ItemId,
    editable: bool,
    saved: bool,
    retired: Option<String>,
    par_rows: Vec<ParRow>,
    units: &'static [(&'static str, i128)],
    name: String,
    category: String,
    base_unit: BaseUnit,
    unit_cost: String,
    packs: String,
    barcode: Option<String>,
    stock: Vec<StockRow>,
    movements: Vec<MovementView>,
    /// The pack hierarchy, largest first: "case = 4 pack = 24 ea".
    hierarchy: Vec<String>,
    /// "0.91 g/ml (USDA ...)", or empty.
    density: String,
    /// "whole ea, a fraction refused".
    rounding: String,
}

/// Each pack with what it holds, largest first: "case = 4 × pack = 24 ea".
fn hierarchy(item: &Item) -> Vec<String> {
    let packs: Vec<(String, Quantity)> = item
        .pack_sizes
        .iter()
        .map(|p| (p.name.clone(), p.quantity))
        .collect();
    larder_core::catalog::pack_hierarchy(&packs)
        .into_iter()
        .map(|l| {
            let base = format!(
                "{} {}",
                plain(i128::from(l.quantity.raw()), 3),
                item.base_unit
            );
            match l.holds {
                Some((inner, n)) => format!("{} = {n} × {inner} = {base}", l.name),
                None => format!("{} = {base}", l.name),
            }
        })
        .collect()
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

/// One item: its details, stock per location (100), par levels per location (with a form for
/// those who may change them) and latest movements (20).
async fn item(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<ItemId>,
    Query(q): Query<SavedQuery>,
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
    let pars = s.app.par_levels(p, id).await?;
    let field = |q: Option<Quantity>, unit: &str| {
        let per = units_for(item.base_unit)
            .iter()
            .find(|(u, _)| *u == unit)
            .map_or(1, |(_, n)| *n);
        q.map(|q| plain(i128::from(q.raw()), 3 + per.ilog10()))
            .unwrap_or_default()
    };
    let par_rows = locations
        .data
        .iter()
        .map(|l| {
            let found = pars.iter().find(|r| r.location_id == l.id);
            let (par, reorder) = found.map_or((None, None), |r| (r.par_level, r.reorder_point));
            // The larger unit when the values are whole in it, else the base unit.
            let big = units_for(item.base_unit)[0];
            let whole_in_big = [par, reorder]
                .iter()
                .flatten()
                .all(|q| i128::from(q.raw()) % (big.1 * 1000) == 0);
            let unit = if whole_in_big {
                big.0
            } else {
                units_for(item.base_unit).last().map_or(big.0, |u| u.0)
            };
            ParRow {
                location_id: l.id,
                location: l.name.clone(),
                par_level: field(par, unit),
                reorder_point: field(reorder, unit),
                unit,
            }
        })
        .collect();
    render(&ItemPage {
        nav: "items",
        tenant_name: me.tenant_name,
        id,
        editable: p.require(Permission::CatalogWrite).is_ok(),
        saved: q.saved.is_some(),
        retired: item.retired_at.map(|t| t.format("%Y-%m-%d").to_string()),
        par_rows,
        units: units_for(item.base_unit),
        category: item.category.clone().unwrap_or_default(),
        base_unit: item.base_unit,
        unit_cost: n.unit_cost(item.unit_cost, item.base_unit),
        packs: n.packs(&item.pack_sizes, item.base_unit),
        hierarchy: hierarchy(&item),
        density: item
            .density
            .map(|d| match &item.density_source {
                Some(src) => format!("{d} g/ml ({src})"),
                None => format!("{d} g/ml"),
            })
            .unwrap_or_default(),
        rounding: format!(
            "to {} {}, {}",
            plain(i128::from(item.entry_step.raw()), 3),
            item.base_unit,
            match item.entry_rounding {
                EntryRounding::Round => "rounded half to even",
                EntryRounding::Refuse => "anything finer refused",
            }
        ),
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
