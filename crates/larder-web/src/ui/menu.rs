//! menu pages: the recipes list with their costs, and a recipe's page with its bill of
//! materials and its ingredients exploded through sub-recipes.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use larder_core::menu::Component;
use larder_core::{ItemId, RecipeId};
use serde::Deserialize;

use super::error::{PageError, render};
use super::format::{numbers_for, significant};
use super::session::Session;
use crate::AppState;

/// `GET /recipes`, `GET /recipes/{id}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/recipes", get(recipes))
        .route("/recipes/{id}", get(recipe))
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
    name: String,
    yield_text: String,
    cost: String,
    batch_cost: String,
    missing: String,
    notes: Option<String>,
    lines: Vec<LineView>,
    ingredients: Vec<IngredientView>,
}

/// One recipe: yield, cost, bill of materials and ingredients per yield unit.
async fn recipe(
    State(s): State<AppState>,
    Session(p): Session,
    Path(id): Path<RecipeId>,
) -> Result<Response, PageError> {
    let me = s.app.me(p).await?;
    let n = numbers_for(&s.app, p).await?;
    let r = s.app.get_recipe(p, id).await?;
    render(&RecipePage {
        nav: "recipes",
        tenant_name: me.tenant_name,
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
