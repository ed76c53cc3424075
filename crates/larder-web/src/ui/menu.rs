//! menu pages: the recipes list with their costs, a recipe's page with its bill of
//! materials and its ingredients exploded through sub-recipes, the recipe form with its live
//! cost, the menu (every menu item with price, cost, food cost % and contribution margin,
//! sortable) and the menu item form.
//!
//! The live cost is the one script of the app (`/assets/recipe-cost.js`, allowed by the
//! recipe form's own Content-Security-Policy): it posts the form to `/recipes/cost`, which
//! costs it on the server with the menu context's exact costing. Without scripts, the form's
//! "Work out cost" button shows the same numbers, and saving shows them on the recipe page.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use larder_app::catalog::ItemQuery;
use larder_app::menu::{MenuItem, MenuItemCommand, RecipeCommand, RecipeLineCommand, RecipeView};
use larder_app::{AppError, Principal};
use larder_core::auth::Permission;
use larder_core::menu::Component;
use larder_core::{ItemId, Label, MenuItemId, Money, Name, Note, Quantity, RecipeId, Unit};
use serde::Deserialize;

use super::error::{PageError, render};
use super::format::{Numbers, numbers_for, significant};
use super::forms::{Fields, message, opt_text, plain, shown_again, text};
use super::session::Session;
use super::tenancy::with_status;
use crate::AppState;

/// `GET /recipes`, `POST /recipes` (create), `GET /recipes/new`, `POST /recipes/cost` (the
/// live cost, JSON), `GET /recipes/{id}`, `POST /recipes/{id}` (save with the version read),
/// `GET /recipes/{id}/edit`, `POST /recipes/{id}/retire`; `GET /menu?sort=`, `POST
/// /menu-items`, `GET /menu-items/new`, `GET /menu-items/{id}/edit`, `POST /menu-items/{id}`,
/// `POST /menu-items/{id}/retire`; `GET /assets/recipe-cost.js`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/recipes", get(recipes).post(create_recipe))
        .route("/recipes/new", get(new_recipe))
        .route("/recipes/cost", post(live_cost))
        .route("/recipes/{id}", get(recipe).post(save_recipe))
        .route("/recipes/{id}/edit", get(edit_recipe))
        .route("/recipes/{id}/retire", post(retire_recipe))
        .route("/menu", get(menu))
        .route("/menu-items", post(create_menu_item))
        .route("/menu-items/new", get(new_menu_item))
        .route("/menu-items/{id}", post(save_menu_item))
        .route("/menu-items/{id}/edit", get(edit_menu_item))
        .route("/menu-items/{id}/retire", post(retire_menu_item))
        .route("/assets/recipe-cost.js", get(live_cost_script))
}

/// The live-cost script, served from the binary.
async fn live_cost_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../assets/recipe-cost.js"),
    )
        .into_response()
}

use super::with_script;

/// A line row of the recipe form, as typed: `component` is `item:<id>` or `recipe:<id>`.
#[derive(Clone, Debug, Default)]
struct LineField {
    component: String,
    quantity: String,
    unit: String,
}

/// The recipe form as typed.
#[derive(Clone, Debug)]
struct RecipeForm {
    name: String,
    yield_quantity: String,
    yield_unit: String,
    notes: String,
    lines: Vec<LineField>,
    version: String,
}

/// Blank line rows a recipe form offers below the filled ones.
const SPARE_LINES: usize = 2;

impl RecipeForm {
    fn blank() -> Self {
        Self {
            name: String::new(),
            yield_quantity: "1".into(),
            yield_unit: "ea".into(),
            notes: String::new(),
            lines: vec![
                LineField {
                    unit: "g".into(),
                    ..LineField::default()
                };
                SPARE_LINES + 1
            ],
            version: String::new(),
        }
    }

    fn of(r: &RecipeView) -> Self {
        let mut lines: Vec<LineField> = r
            .lines
            .iter()
            .map(|l| LineField {
                component: match l.component {
                    Component::Item(i) => format!("item:{i}"),
                    Component::Recipe(r) => format!("recipe:{r}"),
                },
                quantity: plain(i128::from(l.quantity.raw()), 3),
                unit: l.unit.to_string(),
            })
            .collect();
        lines.extend(vec![
            LineField {
                unit: "g".into(),
                ..LineField::default()
            };
            SPARE_LINES
        ]);
        Self {
            name: r.name.clone(),
            yield_quantity: plain(i128::from(r.yield_quantity.raw()), 3),
            yield_unit: r.yield_unit.to_string(),
            notes: r.notes.clone().unwrap_or_default(),
            lines,
            version: r.version.to_string(),
        }
    }

    fn typed(f: &Fields, more: usize) -> Self {
        let (components, quantities, units) = (
            f.all("line_component"),
            f.all("line_quantity"),
            f.all("line_unit"),
        );
        let mut lines: Vec<LineField> = components
            .iter()
            .enumerate()
            .map(|(i, c)| LineField {
                component: (*c).to_owned(),
                quantity: quantities.get(i).copied().unwrap_or("").to_owned(),
                unit: units.get(i).copied().unwrap_or("").to_owned(),
            })
            .collect();
        lines.extend(vec![
            LineField {
                unit: "g".into(),
                ..LineField::default()
            };
            more
        ]);
        Self {
            name: f.get("name").to_owned(),
            yield_quantity: f.get("yield_quantity").to_owned(),
            yield_unit: f.get("yield_unit").to_owned(),
            notes: f.get("notes").to_owned(),
            lines,
            version: f.get("version").to_owned(),
        }
    }
}

/// The command of a posted recipe form; blank line rows are skipped, and fields are named as
/// the API names them (`lines[0].quantity`).
fn recipe_command(f: &Fields) -> Result<RecipeCommand, AppError> {
    let (components, quantities, units) = (
        f.all("line_component"),
        f.all("line_quantity"),
        f.all("line_unit"),
    );
    let mut lines = Vec::new();
    for (i, component) in components.iter().enumerate() {
        let quantity = quantities.get(i).copied().unwrap_or("");
        if component.is_empty() && quantity.is_empty() {
            continue;
        }
        let n = lines.len();
        let field = |x: &str| format!("lines[{n}].{x}");
        let (item_id, recipe_id) = match component.split_once(':') {
            Some(("item", id)) => (
                Some(
                    id.parse()
                        .map_err(|_| AppError::invalid(field("item_id"), "choose an item"))?,
                ),
                None,
            ),
            Some(("recipe", id)) => (
                None,
                Some(
                    id.parse()
                        .map_err(|_| AppError::invalid(field("recipe_id"), "choose a recipe"))?,
                ),
            ),
            _ => {
                return Err(AppError::invalid(
                    field("item_id"),
                    "choose an item or a sub-recipe",
                ));
            }
        };
        lines.push(RecipeLineCommand {
            item_id,
            recipe_id,
            quantity: Quantity::parse(quantity)
                .map_err(|e| AppError::invalid(field("quantity"), e.to_string()))?,
            unit: units.get(i).copied().unwrap_or("").parse().map_err(
                |e: larder_core::units::UnitError| AppError::invalid(field("unit"), e.to_string()),
            )?,
        });
    }
    if lines.is_empty() {
        return Err(AppError::invalid("lines", "add at least one line"));
    }
    Ok(RecipeCommand {
        name: text("name", f.get("name"), Name::parse)?,
        yield_quantity: Quantity::parse(f.get("yield_quantity"))
            .map_err(|e| AppError::invalid("yield_quantity", e.to_string()))?,
        yield_unit: f
            .get("yield_unit")
            .parse()
            .map_err(|e: larder_core::units::UnitError| {
                AppError::invalid("yield_unit", e.to_string())
            })?,
        notes: opt_text("notes", f.opt("notes"), Note::parse)?,
        lines,
        effective_from: None,
    })
}

/// A choice in the line picker: `item:<id>` or `recipe:<id>`.
struct Choice {
    value: String,
    name: String,
}

/// The recipe's costs as the form shows them.
#[derive(Default, serde::Serialize)]
struct CostText {
    batch_cost: String,
    per_unit: String,
    note: String,
}

impl CostText {
    fn of(r: &RecipeView, n: &Numbers) -> Self {
        Self {
            batch_cost: n.money(r.batch_cost),
            per_unit: n.portion_cost(
                r.cost_per_yield_unit,
                r.batch_cost,
                r.yield_quantity,
                r.yield_unit,
            ),
            note: if r.missing_costs.is_empty() {
                String::new()
            } else {
                format!("Incomplete: no cost for {}.", r.missing_costs.join(", "))
            },
        }
    }

    fn unknown(note: String) -> Self {
        Self {
            batch_cost: "–".into(),
            per_unit: "–".into(),
            note,
        }
    }
}

#[derive(Template)]
#[template(path = "menu/recipe_form.html")]
struct RecipeFormPage {
    nav: &'static str,
    tenant_name: String,
    /// `None` for a new recipe.
    id: Option<RecipeId>,
    error: Option<String>,
    form: RecipeForm,
    items: Vec<Choice>,
    recipes: Vec<Choice>,
    units: Vec<&'static str>,
    cost: CostText,
    /// The recipe's versions, newest first (empty for a new recipe).
    history: Vec<VersionRow>,
}

/// One version in an edit form's history list.
struct VersionRow {
    version: i64,
    from: String,
    to: String,
    what: String,
    cost: String,
}

/// An instant as the history list shows it (UTC, to the minute), or `when_none`.
fn when(t: Option<chrono::DateTime<chrono::Utc>>, when_none: &str) -> String {
    t.map_or_else(
        || when_none.to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// The `effective_from` of an edit form: the start of the business day given (the tenant's
/// time zone and cutoff), or `None` (now) when left empty.
///
/// # Errors
/// 422 on `effective_from` for a date that does not read.
async fn effective_from(
    s: &AppState,
    p: Principal,
    f: &Fields,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, AppError> {
    let Some(raw) = f.opt("effective_from") else {
        return Ok(None);
    };
    let day = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| AppError::invalid("effective_from", "give a date as YYYY-MM-DD"))?;
    Ok(Some(s.app.calendar(p.tenant_id).await?.day_start(day)))
}

impl RecipeFormPage {
    fn action(&self) -> String {
        self.id
            .map_or_else(|| "/recipes".to_owned(), |id| format!("/recipes/{id}"))
    }
}

/// Items and recipes in use, for the line picker (a recipe being edited is not offered as
/// its own sub-recipe).
async fn choices(
    s: &AppState,
    p: Principal,
    editing: Option<RecipeId>,
) -> Result<(Vec<Choice>, Vec<Choice>), PageError> {
    let mut items = Vec::new();
    let mut cursor = None;
    for _ in 0..20 {
        let page = s
            .app
            .list_items(
                p,
                ItemQuery {
                    limit: Some(500),
                    cursor: cursor.take(),
                    ..Default::default()
                },
            )
            .await?;
        items.extend(page.data.into_iter().map(|i| Choice {
            value: format!("item:{}", i.id),
            name: format!("{} ({})", i.name, i.base_unit),
        }));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut recipes = Vec::new();
    let mut cursor = None;
    for _ in 0..20 {
        let page = s.app.list_recipes(p, Some(500), cursor.take()).await?;
        recipes.extend(
            page.data
                .into_iter()
                .filter(|r| Some(r.id) != editing)
                .map(|r| Choice {
                    value: format!("recipe:{}", r.id),
                    name: format!("{} (makes {})", r.name, r.yield_unit),
                }),
        );
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    Ok((items, recipes))
}

async fn recipe_form_page(
    s: &AppState,
    p: Principal,
    id: Option<RecipeId>,
    form: RecipeForm,
    error: Option<String>,
    cost: CostText,
) -> Result<RecipeFormPage, PageError> {
    let me = s.app.me(p).await?;
    let (mut items, mut recipes) = choices(s, p, id).await?;
    // A line naming a retired item or sub-recipe keeps it selectable, so saving keeps it.
    for line in &form.lines {
        let known = |c: &[Choice]| c.iter().any(|x| x.value == line.component);
        match line.component.split_once(':') {
            Some(("item", raw)) if !known(&items) => {
                if let Ok(id) = raw.parse::<ItemId>()
                    && let Ok(item) = s.app.get_item(p, id).await
                {
                    items.push(Choice {
                        value: line.component.clone(),
                        name: format!("{} ({}, retired)", item.name, item.base_unit),
                    });
                }
            }
            Some(("recipe", raw)) if !known(&recipes) => {
                if let Ok(id) = raw.parse::<RecipeId>()
                    && let Ok(r) = s.app.get_recipe(p, id).await
                {
                    recipes.push(Choice {
                        value: line.component.clone(),
                        name: format!("{} (makes {}, retired)", r.name, r.yield_unit),
                    });
                }
            }
            _ => {}
        }
    }
    let history = match id {
        Some(id) => {
            let n = numbers_for(&s.app, p).await?;
            s.app
                .recipe_history(p, id)
                .await?
                .data
                .into_iter()
                .map(|v| VersionRow {
                    version: v.version,
                    from: when(v.effective_from, "the start"),
                    to: when(v.effective_to, "now"),
                    what: format!(
                        "{} line{}, makes {} {}",
                        v.lines.len(),
                        if v.lines.len() == 1 { "" } else { "s" },
                        super::format::count(v.yield_quantity),
                        v.yield_unit
                    ),
                    cost: n.money(v.cost_per_yield_unit),
                })
                .collect()
        }
        None => Vec::new(),
    };
    Ok(RecipeFormPage {
        nav: "recipes",
        tenant_name: me.tenant_name,
        id,
        error,
        form,
        items,
        recipes,
        units: Unit::ALL.iter().map(|u| u.as_str()).collect(),
        cost,
        history,
    })
}

/// The cost of a posted form, or why it has none yet.
async fn cost_of(s: &AppState, p: Principal, f: &Fields, editing: Option<RecipeId>) -> CostText {
    let cmd = match recipe_command(f) {
        Ok(c) => c,
        Err(e) => return CostText::unknown(e.to_string()),
    };
    let n = match numbers_for(&s.app, p).await {
        Ok(n) => n,
        Err(e) => return CostText::unknown(e.to_string()),
    };
    match s.app.preview_recipe(p, cmd, editing).await {
        Ok(r) => CostText::of(&r, &n),
        Err(e) => CostText::unknown(e.to_string()),
    }
}

/// The form of a new recipe.
async fn new_recipe(State(s): State<AppState>, Session(p): Session) -> Result<Response, PageError> {
    p.require(Permission::RecipesWrite)?;
    let cost = CostText::unknown("Add a line to see the cost.".into());
    let page = recipe_form_page(&s, p, None, RecipeForm::blank(), None, cost).await?;
    Ok(with_script(render(&page)?))
}

/// The edit form of a recipe, with its version and current cost.
async fn edit_recipe(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<RecipeId>,
) -> Result<Response, PageError> {
    p.require(Permission::RecipesWrite)?;
    let r = s.app.get_recipe(p, id).await?;
    let n = numbers_for(&s.app, p).await?;
    let page = recipe_form_page(
        &s,
        p,
        Some(id),
        RecipeForm::of(&r),
        None,
        CostText::of(&r, &n),
    )
    .await?;
    Ok(with_script(render(&page)?))
}

#[derive(Deserialize)]
struct EditingQuery {
    /// The recipe the form edits, if any.
    recipe: Option<RecipeId>,
}

/// The live cost of the recipe form as typed, as JSON `{batch_cost, per_unit, note}` in the
/// tenant's currency (`note` says why a cost is missing or incomplete). Never saves.
async fn live_cost(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<EditingQuery>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    p.require(Permission::RecipesWrite)?;
    let f = Fields(f);
    let editing = q
        .recipe
        .or_else(|| f.opt("recipe_id").and_then(|v| v.parse().ok()));
    Ok(axum::Json(cost_of(&s, p, &f, editing).await).into_response())
}

/// Creates a recipe and shows its page. "More lines" and "Work out cost" show the form again
/// (with three more rows, or with its cost) without saving; a refused recipe shows the form
/// again with what was typed and the reason.
async fn create_recipe(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    submit_recipe(s, p, None, Fields(f)).await
}

/// Saves a recipe when the form's version is still current; a stale form is shown again
/// (412) with the current recipe and a sentence saying nothing was saved.
async fn save_recipe(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<RecipeId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    submit_recipe(s, p, Some(id), Fields(f)).await
}

async fn submit_recipe(
    s: AppState,
    p: Principal,
    id: Option<RecipeId>,
    f: Fields,
) -> Result<Response, PageError> {
    p.require(Permission::RecipesWrite)?;
    if f.has("more") || f.has("preview") {
        let more = if f.has("more") { 3 } else { 0 };
        let cost = cost_of(&s, p, &f, id).await;
        let page = recipe_form_page(&s, p, id, RecipeForm::typed(&f, more), None, cost).await?;
        return Ok(with_script(render(&page)?));
    }
    let dated = match id {
        Some(_) => effective_from(&s, p, &f).await,
        None => Ok(None),
    };
    let result = match (recipe_command(&f), f.version(), dated) {
        (Ok(mut cmd), Ok(v), Ok(at)) => match id {
            None => s.app.create_recipe(p, cmd, None).await.map(|r| r.value.id),
            Some(id) => {
                cmd.effective_from = at;
                s.app.update_recipe(p, id, cmd, v).await.map(|r| r.id)
            }
        },
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/recipes/{id}?saved=1")).into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let (form, cost) = match id {
                    Some(id) if status == StatusCode::PRECONDITION_FAILED => {
                        let r = s.app.get_recipe(p, id).await?;
                        let n = numbers_for(&s.app, p).await?;
                        (RecipeForm::of(&r), CostText::of(&r, &n))
                    }
                    _ => (RecipeForm::typed(&f, 0), cost_of(&s, p, &f, id).await),
                };
                let page = recipe_form_page(&s, p, id, form, Some(message(&e)), cost).await?;
                with_status(with_script(render(&page)?), status)
            }
            None => Err(e.into()),
        },
    }
}

/// Retires a recipe: it leaves the list and the pickers; what uses it keeps costing it.
async fn retire_recipe(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<RecipeId>,
) -> Result<Response, PageError> {
    s.app.retire_recipe(p, id).await?;
    Ok(Redirect::to(&format!("/recipes/{id}")).into_response())
}

/// The menu's sortable columns, as `?sort=` names them (`-` before one reverses it).
const MENU_COLUMNS: [(&str, &str); 5] = [
    ("name", "Menu item"),
    ("price", "Price"),
    ("cost", "Cost"),
    ("food_cost", "Food cost %"),
    ("margin", "Margin"),
];

/// A menu row as shown.
struct MenuRowView {
    id: MenuItemId,
    name: String,
    category: String,
    price: String,
    cost: String,
    food_cost_pct: String,
    margin: String,
}

/// A column header: its label, the link that sorts by it (the other way when it is the
/// current sort) and the arrow showing the current sort.
struct SortLink {
    label: &'static str,
    href: String,
    arrow: &'static str,
    numeric: bool,
}

#[derive(Template)]
#[template(path = "menu/menu.html")]
struct MenuPage {
    nav: &'static str,
    tenant_name: String,
    editable: bool,
    saved: bool,
    columns: Vec<SortLink>,
    rows: Vec<MenuRowView>,
}

#[derive(Deserialize)]
struct MenuQuery {
    sort: Option<String>,
    saved: Option<String>,
}

/// Every menu item on the menu (up to 5,000) with price, cost, food cost % and contribution
/// margin, sorted by `?sort=` (`name`, `price`, `cost`, `food_cost`, `margin`; `-` first for
/// descending). Items without a value sort last either way.
async fn menu(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<MenuQuery>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let n = numbers_for(&s.app, p).await?;
    let sort = q.sort.unwrap_or_else(|| "name".into());
    let (desc, key) = match sort.strip_prefix('-') {
        Some(k) => (true, k),
        None => (false, sort.as_str()),
    };
    if !MENU_COLUMNS.iter().any(|(k, _)| *k == key) {
        return Err(AppError::invalid(
            "sort",
            "sort by name, price, cost, food_cost or margin (a leading - reverses it)",
        )
        .into());
    }
    let mut all: Vec<MenuItem> = Vec::new();
    let mut cursor = None;
    for _ in 0..10 {
        let page = s.app.list_menu_items(p, Some(500), cursor.take()).await?;
        all.extend(page.data);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let pct = |m: &MenuItem| {
        m.food_cost_pct
            .as_deref()
            .and_then(|s| Money::parse(s).ok())
            .map(Money::raw)
    };
    let value = |m: &MenuItem| -> Option<i64> {
        match key {
            "price" => m.price.map(Money::raw),
            "cost" => m.cost.map(Money::raw),
            "food_cost" => pct(m),
            _ => m.contribution_margin.map(Money::raw),
        }
    };
    all.sort_by(|a, b| {
        let by_name = || a.name.cmp(&b.name).then(a.id.cmp(&b.id));
        let ord = if key == "name" {
            by_name()
        } else {
            match (value(a), value(b)) {
                (Some(x), Some(y)) => {
                    let o = x.cmp(&y);
                    (if desc { o.reverse() } else { o }).then_with(by_name)
                }
                (Some(_), None) => return std::cmp::Ordering::Less,
                (None, Some(_)) => return std::cmp::Ordering::Greater,
                (None, None) => by_name(),
            }
        };
        if key == "name" && desc {
            ord.reverse()
        } else {
            ord
        }
    });
    let columns = MENU_COLUMNS
        .iter()
        .map(|(k, label)| {
            let current = *k == key;
            SortLink {
                label,
                href: if current && !desc {
                    format!("/menu?sort=-{k}")
                } else {
                    format!("/menu?sort={k}")
                },
                arrow: match (current, desc) {
                    (true, false) => " ▲",
                    (true, true) => " ▼",
                    _ => "",
                },
                numeric: *k != "name",
            }
        })
        .collect();
    render(&MenuPage {
        nav: "menu",
        tenant_name: me.tenant_name,
        editable: p.require(Permission::RecipesWrite).is_ok(),
        saved: q.saved.is_some(),
        columns,
        rows: all
            .into_iter()
            .map(|m| MenuRowView {
                id: m.id,
                category: m.category.unwrap_or_default(),
                price: n.money(m.price),
                cost: n.money(m.cost),
                food_cost_pct: m
                    .food_cost_pct
                    .map_or_else(|| "–".to_owned(), |p| format!("{p}%")),
                margin: n.money(m.contribution_margin),
                name: m.name,
            })
            .collect(),
    })
}

/// The menu item form as typed.
#[derive(Clone, Debug)]
struct MenuItemForm {
    name: String,
    category: String,
    recipe: String,
    portion: String,
    price: String,
    version: String,
}

impl MenuItemForm {
    fn blank() -> Self {
        Self {
            name: String::new(),
            category: String::new(),
            recipe: String::new(),
            portion: "1".into(),
            price: String::new(),
            version: String::new(),
        }
    }

    fn of(m: &MenuItem) -> Self {
        Self {
            name: m.name.clone(),
            category: m.category.clone().unwrap_or_default(),
            recipe: m.recipe_id.map(|r| r.to_string()).unwrap_or_default(),
            portion: plain(i128::from(m.portion.raw()), 3),
            price: m
                .price
                .map(|p| plain(i128::from(p.raw()), 6))
                .unwrap_or_default(),
            version: m.version.to_string(),
        }
    }

    fn typed(f: &Fields) -> Self {
        Self {
            name: f.get("name").to_owned(),
            category: f.get("category").to_owned(),
            recipe: f.get("recipe_id").to_owned(),
            portion: f.get("portion").to_owned(),
            price: f.get("price").to_owned(),
            version: f.get("version").to_owned(),
        }
    }
}

fn menu_item_command(f: &Fields) -> Result<MenuItemCommand, AppError> {
    Ok(MenuItemCommand {
        name: text("name", f.get("name"), Name::parse)?,
        category: opt_text("category", f.opt("category"), Label::parse)?,
        recipe_id: f
            .opt("recipe_id")
            .map(|r| {
                r.parse()
                    .map_err(|_| AppError::invalid("recipe_id", "choose a recipe"))
            })
            .transpose()?,
        portion: f
            .opt("portion")
            .map(|v| Quantity::parse(v).map_err(|e| AppError::invalid("portion", e.to_string())))
            .transpose()?,
        price: f
            .opt("price")
            .map(|v| Money::parse(v).map_err(|e| AppError::invalid("price", e.to_string())))
            .transpose()?,
        effective_from: None,
    })
}

/// A menu item's cost, food cost % and margin as the form shows them.
struct MarginText {
    cost: String,
    food_cost_pct: String,
    margin: String,
}

impl MarginText {
    fn of(m: &MenuItem, n: &Numbers) -> Self {
        Self {
            cost: n.money(m.cost),
            food_cost_pct: m
                .food_cost_pct
                .as_ref()
                .map_or_else(|| "–".to_owned(), |p| format!("{p}%")),
            margin: n.money(m.contribution_margin),
        }
    }

    fn unknown() -> Self {
        Self {
            cost: "–".into(),
            food_cost_pct: "–".into(),
            margin: "–".into(),
        }
    }
}

#[derive(Template)]
#[template(path = "menu/menu_item_form.html")]
struct MenuItemFormPage {
    nav: &'static str,
    tenant_name: String,
    id: Option<MenuItemId>,
    retired: bool,
    error: Option<String>,
    form: MenuItemForm,
    recipes: Vec<Choice>,
    margin: MarginText,
    /// The menu item's versions, newest first (empty for a new one).
    history: Vec<VersionRow>,
}

impl MenuItemFormPage {
    fn action(&self) -> String {
        self.id.map_or_else(
            || "/menu-items".to_owned(),
            |id| format!("/menu-items/{id}"),
        )
    }
}

async fn menu_item_form_page(
    s: &AppState,
    p: Principal,
    id: Option<MenuItemId>,
    form: MenuItemForm,
    error: Option<String>,
    margin: MarginText,
) -> Result<MenuItemFormPage, PageError> {
    let me = s.app.me(p).await?;
    let (_, mut recipes) = choices(s, p, None).await?;
    for r in &mut recipes {
        r.value = r.value.trim_start_matches("recipe:").to_owned();
    }
    // A menu item on a retired recipe keeps it selectable, so saving keeps it.
    if !form.recipe.is_empty()
        && !recipes.iter().any(|r| r.value == form.recipe)
        && let Ok(id) = form.recipe.parse::<RecipeId>()
        && let Ok(r) = s.app.get_recipe(p, id).await
    {
        recipes.push(Choice {
            value: form.recipe.clone(),
            name: format!("{} (makes {}, retired)", r.name, r.yield_unit),
        });
    }
    let history = match id {
        Some(id) => {
            let n = numbers_for(&s.app, p).await?;
            s.app
                .menu_item_history(p, id)
                .await?
                .data
                .into_iter()
                .map(|v| VersionRow {
                    version: v.version,
                    from: when(v.effective_from, "the start"),
                    to: when(v.effective_to, "now"),
                    what: format!(
                        "{} x {} at {}",
                        super::format::count(v.portion),
                        v.recipe.unwrap_or_else(|| "no recipe".into()),
                        n.money(v.price)
                    ),
                    cost: n.money(v.cost),
                })
                .collect()
        }
        None => Vec::new(),
    };
    Ok(MenuItemFormPage {
        nav: "menu",
        tenant_name: me.tenant_name,
        id,
        retired: false,
        error,
        form,
        recipes,
        margin,
        history,
    })
}

/// The form of a new menu item.
async fn new_menu_item(
    State(s): State<AppState>,
    Session(p): Session,
) -> Result<Response, PageError> {
    p.require(Permission::RecipesWrite)?;
    let page = menu_item_form_page(
        &s,
        p,
        None,
        MenuItemForm::blank(),
        None,
        MarginText::unknown(),
    )
    .await?;
    render(&page)
}

/// The edit form of a menu item, with its version, cost, food cost % and margin.
async fn edit_menu_item(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<MenuItemId>,
) -> Result<Response, PageError> {
    p.require(Permission::RecipesWrite)?;
    let m = s.app.get_menu_item(p, id).await?;
    let n = numbers_for(&s.app, p).await?;
    let mut page = menu_item_form_page(
        &s,
        p,
        Some(id),
        MenuItemForm::of(&m),
        None,
        MarginText::of(&m, &n),
    )
    .await?;
    page.retired = m.retired_at.is_some();
    render(&page)
}

async fn create_menu_item(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    submit_menu_item(s, p, None, Fields(f)).await
}

async fn save_menu_item(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<MenuItemId>,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    submit_menu_item(s, p, Some(id), Fields(f)).await
}

/// Creates or saves a menu item and shows the menu; "Work out margin" shows the form again
/// with its cost, food cost % and margin without saving; a refused or stale form is shown
/// again (422, 409 or 412) with the reason.
async fn submit_menu_item(
    s: AppState,
    p: Principal,
    id: Option<MenuItemId>,
    f: Fields,
) -> Result<Response, PageError> {
    p.require(Permission::RecipesWrite)?;
    let n = numbers_for(&s.app, p).await?;
    if f.has("preview") {
        let (margin, error) = match menu_item_command(&f) {
            Ok(cmd) => match s.app.preview_menu_item(p, cmd).await {
                Ok(m) => (MarginText::of(&m, &n), None),
                Err(e) => (MarginText::unknown(), Some(message(&e))),
            },
            Err(e) => (MarginText::unknown(), Some(message(&e))),
        };
        let page = menu_item_form_page(&s, p, id, MenuItemForm::typed(&f), error, margin).await?;
        return render(&page);
    }
    let dated = match id {
        Some(_) => effective_from(&s, p, &f).await,
        None => Ok(None),
    };
    let result = match (menu_item_command(&f), f.version(), dated) {
        (Ok(mut cmd), Ok(v), Ok(at)) => match id {
            None => s.app.create_menu_item(p, cmd, None).await.map(drop),
            Some(id) => {
                cmd.effective_from = at;
                s.app.update_menu_item(p, id, cmd, v).await.map(drop)
            }
        },
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to("/menu?saved=1").into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let (form, margin) = match id {
                    Some(id) if status == StatusCode::PRECONDITION_FAILED => {
                        let m = s.app.get_menu_item(p, id).await?;
                        (MenuItemForm::of(&m), MarginText::of(&m, &n))
                    }
                    _ => (MenuItemForm::typed(&f), MarginText::unknown()),
                };
                let page = menu_item_form_page(&s, p, id, form, Some(message(&e)), margin).await?;
                with_status(render(&page)?, status)
            }
            None => Err(e.into()),
        },
    }
}

/// Retires a menu item: it leaves the menu; its sales still record.
async fn retire_menu_item(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<MenuItemId>,
) -> Result<Response, PageError> {
    s.app.retire_menu_item(p, id).await?;
    Ok(Redirect::to("/menu?saved=1").into_response())
}

struct RecipeRowView {
    id: RecipeId,
    name: String,
    yield_text: String,
    cost: String,
    batch_cost: String,
}

#[derive(Template)]
#[template(path = "menu/recipes.html")]
struct RecipesPage {
    nav: &'static str,
    tenant_name: String,
    editable: bool,
    recipes: Vec<RecipeRowView>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct CursorQuery {
    cursor: Option<String>,
}

/// Recipes with their yield and costs, 100 a page.
async fn recipes(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<CursorQuery>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let n = numbers_for(&s.app, p).await?;
    let page = s.app.list_recipes(p, Some(100), q.cursor).await?;
    render(&RecipesPage {
        nav: "recipes",
        tenant_name: me.tenant_name,
        editable: p.require(Permission::RecipesWrite).is_ok(),
        next: page.next_cursor.map(|c| format!("/recipes?cursor={c}")),
        recipes: page
            .data
            .into_iter()
            .map(|r| RecipeRowView {
                id: r.id,
                yield_text: n.yield_text(r.yield_quantity, r.yield_unit),
                cost: n.portion_cost(
                    r.cost_per_yield_unit,
                    r.batch_cost,
                    r.yield_quantity,
                    r.yield_unit,
                ),
                batch_cost: n.money(r.batch_cost),
                name: r.name,
            })
            .collect(),
    })
}

struct LineView {
    name: String,
    kind: &'static str,
    quantity: String,
    href: Option<String>,
}

struct IngredientView {
    item_id: ItemId,
    name: String,
    quantity: String,
}

#[derive(Template)]
#[template(path = "menu/recipe.html")]
struct RecipePage {
    nav: &'static str,
    tenant_name: String,
    id: RecipeId,
    editable: bool,
    saved: bool,
    retired: Option<String>,
    name: String,
    yield_text: String,
    cost: String,
    batch_cost: String,
    missing: String,
    notes: Option<String>,
    lines: Vec<LineView>,
    ingredients: Vec<IngredientView>,
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

/// One recipe: yield, cost, bill of materials and ingredients per yield unit.
async fn recipe(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<RecipeId>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let n = numbers_for(&s.app, p).await?;
    let r = s.app.get_recipe(p, id).await?;
    render(&RecipePage {
        nav: "recipes",
        tenant_name: me.tenant_name,
        id,
        editable: p.require(Permission::RecipesWrite).is_ok(),
        saved: q.saved.is_some(),
        retired: r.retired_at.map(|t| t.format("%Y-%m-%d").to_string()),
        yield_text: n.yield_text(r.yield_quantity, r.yield_unit),
        cost: n.portion_cost(
            r.cost_per_yield_unit,
            r.batch_cost,
            r.yield_quantity,
            r.yield_unit,
        ),
        batch_cost: n.money(r.batch_cost),
        missing: r.missing_costs.join(", "),
        notes: r.notes.clone(),
        lines: r
            .lines
            .iter()
            .map(|l| LineView {
                name: l.name.clone(),
                kind: match l.component {
                    Component::Item(_) => "item",
                    Component::Recipe(_) => "sub-recipe",
                },
                quantity: format!(
                    "{} {}",
                    significant(i128::from(l.quantity.raw()), 1000),
                    l.unit
                ),
                href: Some(match l.component {
                    Component::Item(i) => format!("/items/{i}"),
                    Component::Recipe(r) => format!("/recipes/{r}"),
                }),
            })
            .collect(),
        ingredients: r
            .batch_ingredients
            .iter()
            .map(|i| IngredientView {
                item_id: i.item_id,
                name: i.name.clone(),
                quantity: n.quantity(i.quantity, i.base_unit),
            })
            .collect(),
        name: r.name,
    })
}
