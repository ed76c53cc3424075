//! The production page, phone first (ADR 022): `/production` shows today's prep list for a
//! location, each line with a "Make" button that fills the batch form (a plain link; with
//! htmx only the form is swapped in), the batch form (recipe, planned, actual yield) and the
//! recent batches with their yield variance. `POST /production` makes the batch under the
//! form's idempotency key and comes back to the page.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use larder_app::inventory::production::{PrepListQuery, ProductionBatchQuery, ProductionCommand};
use larder_app::{AppError, IdempotencyKey, Principal};
use larder_core::auth::Permission;
use larder_core::{LocationId, Note, Quantity, RecipeId};

use crate::AppState;
use crate::ui::error::{PageError, render};
use crate::ui::format::{Numbers, urlencode};
use crate::ui::forms::{Fields, message, plain, shown_again};
use crate::ui::session::Session;
use crate::ui::tenancy::with_status;
use crate::ui::with_script;

/// `GET|POST /production`.
pub fn router() -> Router<AppState> {
    Router::new().route("/production", get(page).post(make))
}

struct PrepView {
    recipe: String,
    item: String,
    on_hand: String,
    par: String,
    expected: String,
    to_make: String,
    batches: i64,
    make_href: String,
}

struct BatchView {
    number: String,
    recipe: String,
    planned: String,
    actual: String,
    variance: String,
    cost: String,
    expires: String,
    short: bool,
}

#[derive(Template)]
#[template(path = "inventory/production.html")]
struct ProductionPage {
    nav: &'static str,
    tenant_name: String,
    error: Option<String>,
    made: Option<String>,
    locations: Vec<(LocationId, String)>,
    location_id: String,
    location_name: String,
    date: String,
    writable: bool,
    prep: Vec<PrepView>,
    recipes: Vec<(RecipeId, String, &'static str)>,
    recipe_id: String,
    planned: String,
    actual: String,
    note: String,
    key: String,
    batches: Vec<BatchView>,
}

#[derive(serde::Deserialize)]
struct PageQuery {
    location_id: Option<String>,
    recipe_id: Option<String>,
    planned: Option<String>,
    made: Option<String>,
}

/// What the batch form holds.
#[derive(Default)]
struct Typed {
    recipe_id: String,
    planned: String,
    actual: String,
    note: String,
}

fn unit_word(u: larder_core::BaseUnit) -> &'static str {
    u.as_str()
}

async fn production_page(
    s: &AppState,
    p: Principal,
    location: Option<String>,
    typed: Typed,
    made: Option<String>,
    error: Option<String>,
) -> Result<ProductionPage, PageError> {
    p.require(Permission::InventoryRead)?;
    let me = s.app.me(p).await?;
    let n = Numbers::of(&s.app.get_settings(p).await?);
    let all = s.app.list_locations(p, Some(500), None).await?.data;
    // The central kitchen first: that is where batches are normally made.
    let mut locations: Vec<(LocationId, String, bool)> = all
        .into_iter()
        .map(|l| {
            let central = l.kind.as_str() == "central_kitchen";
            (l.id, l.name, central)
        })
        .collect();
    locations.sort_by_key(|l| !l.2);
    let chosen = match location.as_deref().filter(|l| !l.is_empty()) {
        Some(l) => Some(
            l.parse::<LocationId>()
                .map_err(|_| AppError::NotFound("location"))?,
        ),
        None => locations.first().map(|l| l.0),
    };
    let recipes = match s.app.list_production_settings(p).await {
        Ok(r) => r,
        Err(AppError::Forbidden(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let mut out = ProductionPage {
        nav: "production",
        tenant_name: me.tenant_name,
        error,
        made,
        location_id: chosen.map(|l| l.to_string()).unwrap_or_default(),
        location_name: chosen
            .and_then(|c| locations.iter().find(|l| l.0 == c))
            .map(|l| l.1.clone())
            .unwrap_or_default(),
        locations: locations.into_iter().map(|l| (l.0, l.1)).collect(),
        date: String::new(),
        writable: p.require(Permission::InventoryAdjust).is_ok(),
        prep: Vec::new(),
        recipes: recipes
            .iter()
            .map(|r| (r.recipe_id, r.recipe_name.clone(), unit_word(r.yield_unit)))
            .collect(),
        recipe_id: typed.recipe_id,
        planned: typed.planned,
        actual: typed.actual,
        note: typed.note,
        key: uuid::Uuid::now_v7().to_string(),
        batches: Vec::new(),
    };
    let Some(location_id) = chosen else {
        return Ok(out);
    };
    let list = s
        .app
        .prep_list(
            p,
            PrepListQuery {
                location_id,
                date: None,
            },
        )
        .await?;
    out.date = list.date.format("%a %-d %b").to_string();
    out.prep = list
        .lines
        .into_iter()
        .map(|l| {
            let planned = plain(i128::from(l.to_make.raw()), 3);
            PrepView {
                make_href: format!(
                    "/production?location_id={location_id}&recipe_id={}&planned={}#batch",
                    l.recipe_id,
                    urlencode(&planned)
                ),
                recipe: l.recipe_name,
                item: l.item_name,
                on_hand: n.quantity(l.on_hand, l.unit),
                par: n.quantity(l.par_level, l.unit),
                expected: n.quantity(l.expected_usage, l.unit),
                to_make: n.quantity(l.to_make, l.unit),
                batches: l.batches,
            }
        })
        .collect();
    let recent = s
        .app
        .list_production_batches(
            p,
            ProductionBatchQuery {
                location_id: Some(location_id),
                limit: Some(10),
                ..Default::default()
            },
        )
        .await?;
    out.batches = recent
        .data
        .into_iter()
        .map(|b| BatchView {
            number: b.number,
            recipe: b.recipe_name,
            planned: n.quantity(b.planned_quantity, b.unit),
            actual: n.quantity(b.actual_quantity, b.unit),
            variance: b
                .yield_variance_pct
                .map(|v| format!("{v} %"))
                .unwrap_or_default(),
            cost: n.money(Some(b.cost)),
            expires: b
                .expires_on
                .map(|d| d.format("%a %-d %b").to_string())
                .unwrap_or_default(),
            short: b.yield_variance.is_negative(),
        })
        .collect();
    Ok(out)
}

/// The prep list, the batch form (filled from a "Make" link) and recent batches.
async fn page(
    State(s): State<AppState>,
    Session(p): Session,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let planned = q.planned.unwrap_or_default();
    let typed = Typed {
        recipe_id: q.recipe_id.unwrap_or_default(),
        actual: planned.clone(),
        planned,
        note: String::new(),
    };
    let page = production_page(&s, p, q.location_id, typed, q.made, None).await?;
    Ok(with_script(render(&page)?))
}

fn quantity(field: &str, s: &str) -> Result<Quantity, AppError> {
    Quantity::parse(s.trim()).map_err(|_| {
        AppError::invalid(
            field,
            format!("'{}' is not a quantity (up to 3 decimals)", s.trim()),
        )
    })
}

/// Makes the batch; a refused one shows the page again with the form as typed.
async fn make(
    State(s): State<AppState>,
    Session(p): Session,
    Form(f): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let f = Fields(f);
    let location = f.get("location_id").to_owned();
    let typed = Typed {
        recipe_id: f.get("recipe_id").to_owned(),
        planned: f.get("planned_quantity").to_owned(),
        actual: f.get("actual_quantity").to_owned(),
        note: f.get("note").to_owned(),
    };
    let result = async {
        let cmd = ProductionCommand {
            location_id: location
                .parse()
                .map_err(|_| AppError::invalid("location_id", "choose a location"))?,
            recipe_id: typed
                .recipe_id
                .parse()
                .map_err(|_| AppError::invalid("recipe_id", "choose a recipe"))?,
            planned_quantity: Some(quantity("planned_quantity", &typed.planned)?),
            batches: None,
            actual_quantity: quantity("actual_quantity", &typed.actual)?,
            produced_at: None,
            note: match typed.note.trim() {
                "" => None,
                t => Some(Note::parse(t).map_err(|e| AppError::invalid("note", e.to_string()))?),
            },
        };
        s.app
            .produce(p, cmd, IdempotencyKey::parse(f.get("key")).ok())
            .await
    }
    .await;
    match result {
        Ok(b) => Ok(Redirect::to(&format!(
            "/production?location_id={location}&made={}",
            urlencode(&b.value.number)
        ))
        .into_response()),
        Err(e) => match shown_again(&e) {
            Some(status) => {
                let page =
                    production_page(&s, p, Some(location), typed, None, Some(message(&e))).await?;
                with_status(with_script(render(&page)?), status)
            }
            None => Err(e.into()),
        },
    }
}
