//! Menu use cases: recipes (bills of materials with sub-recipes and yields), menu items, and
//! recipe costing from current item costs, exact until one final half-even rounding.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use larder_core::auth::Permission;
use larder_core::decimal::div_round_half_even;
use larder_core::menu::{self, Component, RecipeDef, RecipeLine, Usage};
use larder_core::rational::Ratio;
use larder_core::{
    BaseUnit, ItemId, Label, MenuItemId, Money, Name, Note, Quantity, RecipeId, Unit,
};
use larder_store::{
    ItemUnitRow, MenuItemRow, Mode, RecipeLineRow, RecipeRow, StoreError, TenantTx, run_tenant,
};
use serde::{Deserialize, Serialize};

use crate::error::Conflicts;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// The menu's constraints, by the field clients write.
pub(crate) const CONFLICTS: Conflicts =
    Conflicts(&[("recipes_name", "name"), ("menu_items_name", "name")]);

/// The answer to a write that found a stale version: the store's `<table>_version` conflict
/// becomes a 412 on `what`; other errors pass.
fn stale(what: &'static str, version_constraint: &'static str) -> impl Fn(StoreError) -> AppError {
    move |e| match e {
        StoreError::Conflict { constraint } if constraint == version_constraint => {
            AppError::PreconditionFailed(what)
        }
        other => other.into(),
    }
}

/// Everything costing and depletion need, loaded once per transaction: recipes, item units
/// and costs, menu items.
pub struct Book {
    pub(crate) recipes: HashMap<RecipeId, RecipeDef>,
    names: HashMap<RecipeId, String>,
    pub(crate) units: HashMap<ItemId, BaseUnit>,
    costs: HashMap<ItemId, Money>,
    item_names: HashMap<ItemId, String>,
    /// Menu items by id.
    pub menu_items: HashMap<MenuItemId, MenuItemRow>,
    /// The versions of recipes and menu items, when loaded
    /// ([`Book::load_with_history`]): sales deplete with the versions in force when they
    /// happened. Without it, the current versions serve every instant.
    pub(crate) history: Option<crate::corrections::History>,
    /// Recipes a production batch makes into a stock item (ADR 022): a sale depletes such a
    /// recipe as that item, not as its ingredients, which its batches already consumed.
    pub(crate) produced: HashMap<RecipeId, ItemId>,
}

pub(crate) fn def_of(r: &RecipeRow) -> RecipeDef {
    RecipeDef {
        id: r.id,
        name: r.name.clone(),
        yield_quantity: r.yield_quantity,
        yield_unit: r.yield_unit,
        lines: r
            .lines
            .iter()
            .map(|l| RecipeLine {
                component: l.component,
                quantity: l.quantity,
                unit: l.unit,
            })
            .collect(),
    }
}

impl Book {
    /// Loads the book of the transaction's tenant.
    ///
    /// # Errors
    /// Storage errors.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn load(tx: &mut dyn TenantTx) -> Result<Self, AppError> {
        let recipes = tx.all_recipes().await?;
        let items = tx.all_item_units().await?;
        let menu = tx.all_menu_items().await?;
        let mut book = Self::from_rows(&recipes, &items, menu);
        book.load_produced(tx).await?;
        Ok(book)
    }

    /// Reads which recipes production makes into stock items (see [`Book::produced`]).
    ///
    /// # Errors
    /// Storage errors.
    pub(crate) async fn load_produced(&mut self, tx: &mut dyn TenantTx) -> Result<(), AppError> {
        self.produced = tx
            .all_production_recipes()
            .await?
            .into_iter()
            .map(|r| (r.recipe_id, r.item_id))
            .collect();
        Ok(())
    }

    /// Builds a book from rows.
    pub fn from_rows(recipes: &[RecipeRow], items: &[ItemUnitRow], menu: Vec<MenuItemRow>) -> Self {
        Self {
            recipes: recipes.iter().map(|r| (r.id, def_of(r))).collect(),
            names: recipes.iter().map(|r| (r.id, r.name.clone())).collect(),
            units: items.iter().map(|i| (i.id, i.base_unit)).collect(),
            costs: items
                .iter()
                .filter_map(|i| i.unit_cost.map(|c| (i.id, c)))
                .collect(),
            item_names: items.iter().map(|i| (i.id, i.name.clone())).collect(),
            menu_items: menu.into_iter().map(|m| (m.id, m)).collect(),
            history: None,
            produced: HashMap::new(),
        }
    }

    /// Each item's base unit.
    pub(crate) fn units(&self) -> &HashMap<ItemId, BaseUnit> {
        &self.units
    }

    /// A recipe's name (or its id when unknown).
    pub fn recipe_name(&self, id: RecipeId) -> String {
        self.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// Recipe lines as shown, with their components' names.
    pub(crate) fn line_views(&self, lines: &[RecipeLine]) -> Vec<RecipeLineView> {
        lines
            .iter()
            .map(|l| RecipeLineView {
                component: l.component,
                name: match l.component {
                    Component::Item(i) => self.item_name(i),
                    Component::Recipe(s) => self.recipe_name(s),
                },
                quantity: l.quantity,
                unit: l.unit,
            })
            .collect()
    }

    /// Base units of each item one yield unit of `recipe` consumes.
    ///
    /// # Errors
    /// 422 when the recipe cannot be exploded (cycle, unknown component, unit mismatch).
    pub fn usage(&self, recipe: RecipeId) -> Result<Usage, AppError> {
        menu::explode(recipe, &self.recipes, &self.units)
            .map_err(|e| AppError::invalid("recipe", e.to_string()))
    }

    /// Cost of a usage, with the names of items that have no cost.
    ///
    /// # Errors
    /// 422 on arithmetic overflow.
    pub fn cost(&self, usage: &Usage) -> Result<(Money, Vec<String>), AppError> {
        let (c, missing) = menu::cost(usage, &self.costs)
            .ok_or_else(|| AppError::invalid("recipe", "cost overflows"))?;
        Ok((c, missing.iter().map(|i| self.item_name(*i)).collect()))
    }

    /// Adds or replaces a recipe (one being imported) so that lines naming it validate and
    /// the book costs it.
    pub(crate) fn put_recipe(&mut self, row: &RecipeRow) {
        self.recipes.insert(row.id, def_of(row));
        self.names.insert(row.id, row.name.clone());
    }

    /// Explodes a recipe being saved or costed, blaming its `lines` for a cycle (it would
    /// contain itself) or an overflow.
    ///
    /// # Errors
    /// 422 on `lines`.
    pub(crate) fn lines_usage(&self, id: RecipeId) -> Result<Usage, AppError> {
        self.usage(id).map_err(|e| match e {
            AppError::Validation { message, .. } => AppError::invalid("lines", message),
            other => other,
        })
    }

    /// Adds or replaces a menu item (one being imported).
    pub(crate) fn put_menu_item(&mut self, row: MenuItemRow) {
        self.menu_items.insert(row.id, row);
    }

    pub(crate) fn costs_get(&self, item: ItemId) -> Option<Money> {
        self.costs.get(&item).copied()
    }

    /// An item's name (or its id when unknown).
    pub fn item_name(&self, id: ItemId) -> String {
        self.item_names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// The cost of one sale of a menu item: its portion of its recipe. `None` when unmapped.
    ///
    /// # Errors
    /// As [`Book::usage`].
    pub fn portion_cost(&self, m: &MenuItemRow) -> Result<Option<(Money, Vec<String>)>, AppError> {
        let Some(r) = m.recipe_id else {
            return Ok(None);
        };
        let mut usage = Usage::new();
        menu::accumulate(&mut usage, &self.usage(r)?, m.portion)
            .ok_or_else(|| AppError::invalid("portion", "overflows"))?;
        self.cost(&usage).map(Some)
    }
}

/// One line of a recipe command: exactly one of `item_id` and `recipe_id`.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipeLineCommand {
    /// An item.
    pub item_id: Option<ItemId>,
    /// Or a sub-recipe.
    pub recipe_id: Option<RecipeId>,
    /// Positive, in `unit`.
    pub quantity: Quantity,
    /// Any unit convertible to the component's base (or yield) unit.
    pub unit: Unit,
}

/// Create a recipe, or (with `PUT`) replace its name, yield, notes and lines in place.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipeCommand {
    /// 1..=200 characters, unique in the tenant.
    pub name: Name,
    /// Positive: how much one batch makes.
    pub yield_quantity: Quantity,
    /// `ea` (portions), `g` or `ml`.
    pub yield_unit: BaseUnit,
    /// Method and assumptions (may span lines).
    pub notes: Option<Note>,
    /// 1..=200 lines.
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<RecipeLineCommand>,
    /// Of an edit (`PUT`): from when the new version is in force (default now). Not in the
    /// future, not before the current version's date; sales already depleted from then on are
    /// re-depleted with it (ADR 023). A new recipe is in force from the start: refused there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<DateTime<Utc>>,
}

/// A recipe line as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecipeLineView {
    /// Item or sub-recipe.
    pub component: Component,
    /// Its name.
    pub name: String,
    /// Amount.
    pub quantity: Quantity,
    /// Unit.
    pub unit: Unit,
}

/// An ingredient's usage per yield unit, rounded to the thousandth for display.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IngredientUsage {
    /// Item.
    pub item_id: ItemId,
    /// Name.
    pub name: String,
    /// The item's base unit.
    pub base_unit: BaseUnit,
    /// Base units per one yield unit of the recipe.
    pub quantity: Quantity,
}

/// A recipe with its cost.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecipeView {
    /// Id.
    pub id: RecipeId,
    /// Name.
    pub name: String,
    /// Batch yield.
    pub yield_quantity: Quantity,
    /// Yield unit.
    pub yield_unit: BaseUnit,
    /// Notes.
    pub notes: Option<String>,
    /// Lines.
    pub lines: Vec<RecipeLineView>,
    /// For `If-Match`.
    pub version: i64,
    /// Cost of one yield unit (one portion when the yield unit is `ea`); absent only when it
    /// would be beyond the largest amount, which a write never lets happen.
    pub cost_per_yield_unit: Option<Money>,
    /// Cost of one batch; absent as `cost_per_yield_unit`.
    pub batch_cost: Option<Money>,
    /// Items with no cost (counted as zero): the cost is incomplete when any.
    pub missing_costs: Vec<String>,
    /// Items one yield unit consumes, sub-recipes exploded.
    pub ingredients: Vec<IngredientUsage>,
    /// The same items for one whole batch (its yield), as a cook writes the recipe: each
    /// exact usage times the yield, rounded once to the thousandth.
    pub batch_ingredients: Vec<IngredientUsage>,
    /// When the recipe was retired (it leaves lists and pickers; menu items and recipes that
    /// use it keep costing it); `null` while in use.
    pub retired_at: Option<DateTime<Utc>>,
    /// On the answer to an edit: the past sales it re-depleted (absent elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<crate::corrections::Redepletion>,
}

/// A recipe's cost per yield unit and per batch, with the items that have no cost; `None`
/// for a cost beyond [`Money`]'s range.
fn recipe_costs(
    book: &Book,
    usage: &Usage,
    yield_quantity: Quantity,
) -> (Option<Money>, Option<Money>, Vec<String>) {
    let (per_unit, missing) = match book.cost(usage) {
        Ok((c, m)) => (Some(c), m),
        Err(_) => (None, Vec::new()),
    };
    let mut batch = Usage::new();
    let batch_cost = menu::accumulate(&mut batch, usage, yield_quantity)
        .and_then(|()| book.cost(&batch).ok())
        .map(|(c, _)| c);
    (per_unit, batch_cost, missing)
}

impl Book {
    /// Checks that every recipe's and menu item's cost is within [`Money`]'s range, as a write
    /// that changes a cost, a recipe or a portion must leave them, so that no read fails or
    /// shows a cost it cannot compute.
    ///
    /// # Errors
    /// 422 on `field` (the write's field) naming the first recipe or menu item out of range.
    pub fn check_costs(&self, field: &str) -> Result<(), AppError> {
        let beyond = |what: &str, name: &str| {
            AppError::invalid(
                field,
                format!(
                    "would put the cost of {what} '{name}' beyond the largest amount ({})",
                    Money::MAX
                ),
            )
        };
        for (id, def) in &self.recipes {
            let usage = self.usage(*id)?;
            let (per_unit, batch, _) = recipe_costs(self, &usage, def.yield_quantity);
            if per_unit.is_none() || batch.is_none() {
                return Err(beyond("recipe", &def.name));
            }
        }
        for m in self.menu_items.values() {
            if m.recipe_id.is_some() && !matches!(self.portion_cost(m), Ok(Some(_))) {
                return Err(beyond("menu item", &m.name));
            }
        }
        Ok(())
    }
}

fn view(book: &Book, r: &RecipeRow) -> Result<RecipeView, AppError> {
    let usage = book.usage(r.id)?;
    let (per_unit, batch_cost, missing) = recipe_costs(book, &usage, r.yield_quantity);
    let mut ingredients: Vec<IngredientUsage> = menu::to_quantities(&usage)
        .unwrap_or_default()
        .into_iter()
        .map(|(item_id, quantity)| IngredientUsage {
            item_id,
            name: book.item_name(item_id),
            base_unit: book.units.get(&item_id).copied().unwrap_or(BaseUnit::Ea),
            quantity,
        })
        .collect();
    ingredients.sort_by(|a, b| a.name.cmp(&b.name));
    let yield_ratio = Ratio::new(i128::from(r.yield_quantity.raw()), 1000);
    let batch: Usage = usage
        .iter()
        .filter_map(|(item, amount)| {
            yield_ratio
                .and_then(|y| amount.checked_mul(y))
                .map(|a| (*item, a))
        })
        .collect();
    let mut batch_ingredients: Vec<IngredientUsage> = menu::to_quantities(&batch)
        .unwrap_or_default()
        .into_iter()
        .map(|(item_id, quantity)| IngredientUsage {
            item_id,
            name: book.item_name(item_id),
            base_unit: book.units.get(&item_id).copied().unwrap_or(BaseUnit::Ea),
            quantity,
        })
        .collect();
    batch_ingredients.sort_by(|a, b| a.name.cmp(&b.name));
    let lines = r
        .lines
        .iter()
        .map(|l| RecipeLineView {
            component: l.component,
            name: match l.component {
                Component::Item(i) => book.item_name(i),
                Component::Recipe(s) => {
                    book.names.get(&s).cloned().unwrap_or_else(|| s.to_string())
                }
            },
            quantity: l.quantity,
            unit: l.unit,
        })
        .collect();
    Ok(RecipeView {
        id: r.id,
        name: r.name.clone(),
        yield_quantity: r.yield_quantity,
        yield_unit: r.yield_unit,
        notes: r.notes.clone(),
        lines,
        version: r.version,
        cost_per_yield_unit: per_unit,
        batch_cost,
        missing_costs: missing,
        ingredients,
        batch_ingredients,
        retired_at: r.retired_at,
        correction: None,
    })
}

/// Create a menu item, or (with `PUT`) replace its fields.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MenuItemCommand {
    /// The name the POS sells it under, 1..=200 characters, unique in the tenant.
    pub name: Name,
    /// Category.
    pub category: Option<Label>,
    /// The recipe one sale consumes; absent leaves it unmapped (sales are recorded, not
    /// depleted).
    pub recipe_id: Option<RecipeId>,
    /// How much of the recipe's yield unit one sale takes (default 1).
    pub portion: Option<Quantity>,
    /// Menu price.
    pub price: Option<Money>,
    /// Of an edit (`PUT`): from when the new recipe, portion and price are in force (default
    /// now), as for a recipe's `effective_from`. Refused on a new menu item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<DateTime<Utc>>,
}

/// A menu item with its cost and margin.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MenuItem {
    /// Id.
    pub id: MenuItemId,
    /// Name.
    pub name: String,
    /// Category.
    pub category: Option<String>,
    /// Recipe.
    pub recipe_id: Option<RecipeId>,
    /// Portion of the recipe's yield unit.
    pub portion: Quantity,
    /// Price.
    pub price: Option<Money>,
    /// Theoretical cost of one sale.
    pub cost: Option<Money>,
    /// Cost / price, percent with one decimal, rounded half to even.
    pub food_cost_pct: Option<String>,
    /// Price minus cost (contribution margin per sale).
    pub contribution_margin: Option<Money>,
    /// For `If-Match`.
    pub version: i64,
    /// When it was retired (it leaves the menu; its sales still record and map); `null`
    /// while on the menu.
    pub retired_at: Option<DateTime<Utc>>,
    /// On the answer to an edit: the past sales it re-depleted (absent elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<crate::corrections::Redepletion>,
}

/// `cost / price` in percent with one decimal, half to even; `None` without a positive price.
pub fn food_cost_pct(cost: Money, price: Money) -> Option<String> {
    if price.raw() <= 0 {
        return None;
    }
    let tenths = div_round_half_even(i128::from(cost.raw()) * 1000, i128::from(price.raw()));
    let sign = if tenths < 0 { "-" } else { "" };
    let t = tenths.abs();
    Some(format!("{sign}{}.{}", t / 10, t % 10))
}

fn menu_view(book: &Book, m: &MenuItemRow) -> MenuItem {
    let cost = book.portion_cost(m).ok().flatten().map(|(c, _)| c);
    MenuItem {
        id: m.id,
        name: m.name.clone(),
        category: m.category.clone(),
        recipe_id: m.recipe_id,
        portion: m.portion,
        price: m.price,
        cost,
        food_cost_pct: cost.zip(m.price).and_then(|(c, p)| food_cost_pct(c, p)),
        contribution_margin: cost.zip(m.price).and_then(|(c, p)| p.checked_sub(c)),
        version: m.version,
        retired_at: m.retired_at,
        correction: None,
    }
}

/// 404 `recipe` when a menu item names a recipe that does not exist (checked before the
/// write, so the answer is the 404 and not the store's foreign-key conflict).
async fn require_recipe(tx: &mut dyn TenantTx, row: &MenuItemRow) -> Result<(), AppError> {
    if let Some(r) = row.recipe_id {
        tx.get_recipe(r)
            .await?
            .ok_or(AppError::NotFound("recipe"))?;
    }
    Ok(())
}

/// Checks, in the writing transaction, that a menu item's recipe exists and that one sale's
/// cost is within range; the book that costs it.
async fn checked_menu_item(tx: &mut dyn TenantTx, row: &MenuItemRow) -> Result<Book, AppError> {
    require_recipe(tx, row).await?;
    let mut book = Book::load(tx).await?;
    book.menu_items.insert(row.id, row.clone());
    if row.recipe_id.is_some() && !matches!(book.portion_cost(row), Ok(Some(_))) {
        return Err(portion_cost_beyond());
    }
    Ok(book)
}

/// A create's `effective_from` must be absent: a new recipe or menu item is in force from
/// the start.
///
/// # Errors
/// 422 on `effective_from`.
fn new_from_the_start(at: Option<DateTime<Utc>>) -> Result<(), AppError> {
    match at {
        Some(_) => Err(AppError::invalid(
            "effective_from",
            "a new recipe or menu item is in force from the start; give effective_from on an edit",
        )),
        None => Ok(()),
    }
}

/// Validates a recipe command against the book (the API's and the CSV import's one set of
/// rules): returns the row to insert, with a new id and version 1.
///
/// # Errors
/// 422 naming the field (`yield_quantity`, `lines`, `lines[2].unit`).
pub(crate) fn recipe_row(book: &Book, cmd: &RecipeCommand) -> Result<RecipeRow, AppError> {
    let name = cmd.name.as_str().to_owned();
    let notes = cmd.notes.clone().map(Note::into_string);
    if cmd.yield_quantity.raw() <= 0 {
        return Err(AppError::invalid("yield_quantity", "must be positive"));
    }
    if cmd.lines.is_empty() || cmd.lines.len() > 200 {
        return Err(AppError::invalid("lines", "must have 1 to 200 lines"));
    }
    let mut lines = Vec::with_capacity(cmd.lines.len());
    for (i, l) in cmd.lines.iter().enumerate() {
        let field = |f: &str| format!("lines[{i}].{f}");
        if l.quantity.raw() <= 0 {
            return Err(AppError::invalid(field("quantity"), "must be positive"));
        }
        let (component, base) = match (l.item_id, l.recipe_id) {
            (Some(item), None) => {
                let base = *book
                    .units
                    .get(&item)
                    .ok_or_else(|| AppError::invalid(field("item_id"), "no such item"))?;
                (Component::Item(item), base)
            }
            (None, Some(r)) => {
                let def = book
                    .recipes
                    .get(&r)
                    .ok_or_else(|| AppError::invalid(field("recipe_id"), "no such recipe"))?;
                (Component::Recipe(r), def.yield_unit)
            }
            _ => {
                return Err(AppError::invalid(
                    field("item_id"),
                    "give exactly one of item_id and recipe_id",
                ));
            }
        };
        l.unit
            .factor_to(base)
            .map_err(|e| AppError::invalid(field("unit"), e.to_string()))?;
        lines.push(RecipeLineRow {
            position: i32::try_from(i + 1).unwrap_or(i32::MAX),
            component,
            quantity: l.quantity,
            unit: l.unit,
        });
    }
    Ok(RecipeRow {
        id: RecipeId::new(),
        name,
        yield_quantity: cmd.yield_quantity,
        yield_unit: cmd.yield_unit,
        notes,
        lines,
        version: 1,
        created_at: Utc::now(),
        retired_at: None,
    })
}

/// Checks a menu item command (the API's and the CSV import's one set of rules) and returns
/// its portion (1 when absent).
///
/// # Errors
/// 422 on `portion` (not positive) or `price` (negative).
pub(crate) fn menu_item_portion(cmd: &MenuItemCommand) -> Result<Quantity, AppError> {
    let portion = cmd.portion.unwrap_or(Quantity::from_raw(1000));
    if portion.raw() <= 0 {
        return Err(AppError::invalid("portion", "must be positive"));
    }
    if cmd.price.is_some_and(Money::is_negative) {
        return Err(AppError::invalid("price", "must not be negative"));
    }
    Ok(portion)
}

/// The error a menu item whose one sale costs beyond [`Money`]'s range gets.
pub(crate) fn portion_cost_beyond() -> AppError {
    AppError::invalid(
        "portion",
        format!(
            "would put the cost of one sale beyond the largest amount ({})",
            Money::MAX
        ),
    )
}

impl App {
    /// Creates a recipe and returns it costed.
    ///
    /// # Errors
    /// 403 without `recipes.write`; 422 naming the line and field; 409 on `name`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_recipe(
        &self,
        p: Principal,
        cmd: RecipeCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<RecipeView>, AppError> {
        p.require(Permission::RecipesWrite)?;
        new_from_the_start(cmd.effective_from)?;
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::RecipeCreated,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    let mut book = Book::load(tx).await?;
                    let row = recipe_row(&book, &c)?;
                    tx.insert_recipe(&row).await?;
                    tx.record_recipe_version(row.id, None, row.created_at)
                        .await?;
                    book.put_recipe(&row);
                    book.check_costs("lines")?;
                    view(&book, &row)
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// Edits a recipe when `if_match` (if given) is its current version: its name and notes
    /// change in place; its yield and lines become a new version in force from
    /// `cmd.effective_from` (default now), the old one kept in its history. Every recipe and
    /// menu item that uses it must still explode and cost, now and in every period from that
    /// date on. Sales already depleted from that date are re-depleted with the versions in
    /// force at each (ADR 023), in the same transaction.
    ///
    /// # Errors
    /// 403 without `recipes.write`; 404; 422 naming the line and field, `lines` when the
    /// recipe would contain itself, or `effective_from` (in the future, before the current
    /// version's date, or re-depleting more than [`crate::corrections::MAX_REDEPLETED_SALES`]
    /// sales); 409 on `name`; 412 when the version is stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_recipe(
        &self,
        p: Principal,
        id: RecipeId,
        cmd: RecipeCommand,
        if_match: Option<i64>,
    ) -> Result<RecipeView, AppError> {
        p.require(Permission::RecipesWrite)?;
        let now = Utc::now();
        let effective_from = cmd.effective_from.unwrap_or(now);
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::RecipeUpdated,
            move |tx| {
                Box::pin(async move {
                    let current = tx
                        .get_recipe(id)
                        .await?
                        .ok_or(AppError::NotFound("recipe"))?;
                    let expected = if_match.unwrap_or(current.version);
                    if expected != current.version {
                        return Err(AppError::PreconditionFailed("recipe"));
                    }
                    let latest = tx
                        .recipe_versions(Some(id))
                        .await?
                        .iter()
                        .filter_map(|v| v.effective_from)
                        .max();
                    crate::corrections::check_effective_from(effective_from, latest, now)?;
                    let mut book = Book::load(tx).await?;
                    let fresh = recipe_row(&book, &cmd)?;
                    let row = RecipeRow {
                        id,
                        version: current.version + 1,
                        created_at: current.created_at,
                        retired_at: current.retired_at,
                        ..fresh
                    };
                    book.put_recipe(&row);
                    book.lines_usage(id)?;
                    book.check_costs("lines")?;
                    tx.update_recipe(&row, expected)
                        .await
                        .map_err(stale("recipe", "recipes_version"))?;
                    tx.record_recipe_version(id, Some(effective_from), now)
                        .await?;
                    let book = Book::load_with_history(tx).await?;
                    book.check_history_from(effective_from, "lines")?;
                    let touched = book.menu_items_using(id);
                    let correction = crate::corrections::redeplete_since(
                        tx,
                        &book,
                        &touched,
                        effective_from,
                        p.user_id,
                        now,
                    )
                    .await?;
                    let mut v = view(&book, &row)?;
                    v.correction = Some(correction);
                    Ok(v)
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// Retires a recipe: it leaves the recipes list and the pickers; menu items and recipes
    /// that use it keep costing and depleting through it. Retiring it again changes nothing.
    ///
    /// # Errors
    /// 403 without `recipes.write`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn retire_recipe(&self, p: Principal, id: RecipeId) -> Result<RecipeView, AppError> {
        p.require(Permission::RecipesWrite)?;
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::RecipeRetired,
            move |tx| {
                Box::pin(async move {
                    tx.get_recipe(id)
                        .await?
                        .ok_or(AppError::NotFound("recipe"))?;
                    tx.retire_recipe(id, Utc::now()).await?;
                    let row = tx
                        .get_recipe(id)
                        .await?
                        .ok_or(AppError::NotFound("recipe"))?;
                    let book = Book::load(tx).await?;
                    view(&book, &row)
                })
            },
        )
        .await
    }

    /// Costs a recipe as it would be saved, without saving it: the recipe form's live cost.
    /// `editing` is the recipe the form edits (its lines may not contain it), `None` for a
    /// new one.
    ///
    /// # Errors
    /// 403 without `recipes.write`; 422 naming the line and field as [`App::create_recipe`]
    /// would, or `lines` when the recipe would contain itself.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn preview_recipe(
        &self,
        p: Principal,
        cmd: RecipeCommand,
        editing: Option<RecipeId>,
    ) -> Result<RecipeView, AppError> {
        p.require(Permission::RecipesWrite)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let mut book = Book::load(tx).await?;
                let mut row = recipe_row(&book, &cmd)?;
                if let Some(id) = editing {
                    row.id = id;
                }
                book.put_recipe(&row);
                book.lines_usage(row.id)?;
                view(&book, &row)
            })
        })
        .await
    }

    /// One recipe, costed.
    ///
    /// # Errors
    /// 403 without `recipes.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_recipe(&self, p: Principal, id: RecipeId) -> Result<RecipeView, AppError> {
        p.require(Permission::RecipesRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let row = tx
                    .get_recipe(id)
                    .await?
                    .ok_or(AppError::NotFound("recipe"))?;
                let book = Book::load(tx).await?;
                view(&book, &row)
            })
        })
        .await
    }

    /// Recipes in use (retired ones left out) by name, costed, paginated.
    ///
    /// # Errors
    /// 403; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_recipes(
        &self,
        p: Principal,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<Page<RecipeView>, AppError> {
        p.require(Permission::RecipesRead)?;
        let limit = page::limit(limit)?;
        let after = match &cursor {
            Some(c) => {
                let parts = page::decode(c, 2)?;
                Some((parts[0].clone(), page::id::<RecipeId>(&parts[1])?))
            }
            None => None,
        };
        let views = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.all_recipes().await?;
                let book = Book::load(tx).await?;
                rows.iter()
                    .filter(|r| r.retired_at.is_none())
                    .filter(|r| {
                        after
                            .as_ref()
                            .is_none_or(|(n, id)| (&r.name, &r.id) > (n, id))
                    })
                    .take(limit as usize + 1)
                    .map(|r| view(&book, r))
                    .collect::<Result<Vec<_>, _>>()
            })
        })
        .await?;
        Ok(page::page(views, limit, |r: &RecipeView| {
            page::encode(&[&r.name, &r.id.to_string()])
        }))
    }

    /// Creates a menu item.
    ///
    /// # Errors
    /// 403 without `recipes.write`; 422; 404 on the recipe; 409 on `name`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn create_menu_item(
        &self,
        p: Principal,
        cmd: MenuItemCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<MenuItem>, AppError> {
        p.require(Permission::RecipesWrite)?;
        new_from_the_start(cmd.effective_from)?;
        let portion = menu_item_portion(&cmd)?;
        let row = MenuItemRow {
            id: MenuItemId::new(),
            name: cmd.name.as_str().to_owned(),
            category: cmd.category.clone().map(Label::into_string),
            recipe_id: cmd.recipe_id,
            portion,
            price: cmd.price,
            version: 1,
            created_at: Utc::now(),
            retired_at: None,
        };
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::MenuItemCreated,
            &cmd,
            move |tx| {
                Box::pin(async move {
                    require_recipe(tx, &row).await?;
                    tx.insert_menu_item(&row).await?;
                    tx.record_menu_item_version(row.id, None, row.created_at)
                        .await?;
                    let book = checked_menu_item(tx, &row).await?;
                    Ok(menu_view(&book, &row))
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// A menu item's cost, food cost % and margin as it would be saved, without saving it:
    /// the menu item form's preview.
    ///
    /// # Errors
    /// 403 without `recipes.write`; 422 on `portion` or `price`; 404 on the recipe.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn preview_menu_item(
        &self,
        p: Principal,
        cmd: MenuItemCommand,
    ) -> Result<MenuItem, AppError> {
        p.require(Permission::RecipesWrite)?;
        let portion = menu_item_portion(&cmd)?;
        let row = MenuItemRow {
            id: MenuItemId::new(),
            name: cmd.name.as_str().to_owned(),
            category: cmd.category.clone().map(Label::into_string),
            recipe_id: cmd.recipe_id,
            portion,
            price: cmd.price,
            version: 0,
            created_at: Utc::now(),
            retired_at: None,
        };
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let book = checked_menu_item(tx, &row).await?;
                Ok(menu_view(&book, &row))
            })
        })
        .await
    }

    /// One menu item with its cost, food cost % and margin (a retired one too).
    ///
    /// # Errors
    /// 403 without `recipes.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_menu_item(&self, p: Principal, id: MenuItemId) -> Result<MenuItem, AppError> {
        p.require(Permission::RecipesRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let book = Book::load(tx).await?;
                let m = book
                    .menu_items
                    .get(&id)
                    .ok_or(AppError::NotFound("menu item"))?;
                Ok(menu_view(&book, m))
            })
        })
        .await
    }

    /// Edits a menu item when `if_match` (if given) is its current version: name and category
    /// change in place; its recipe, portion and price become a new version in force from
    /// `cmd.effective_from` (default now). Sales already depleted from then on are
    /// re-depleted with it (ADR 023).
    ///
    /// # Errors
    /// 403 without `recipes.write`; 404 on the menu item or its recipe; 422 (`effective_from`
    /// as for [`App::update_recipe`]); 409 on `name`; 412 when the version is stale.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn update_menu_item(
        &self,
        p: Principal,
        id: MenuItemId,
        cmd: MenuItemCommand,
        if_match: Option<i64>,
    ) -> Result<MenuItem, AppError> {
        p.require(Permission::RecipesWrite)?;
        let portion = menu_item_portion(&cmd)?;
        let now = Utc::now();
        let effective_from = cmd.effective_from.unwrap_or(now);
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::MenuItemUpdated,
            move |tx| {
                Box::pin(async move {
                    let current = tx
                        .get_menu_item(id)
                        .await?
                        .ok_or(AppError::NotFound("menu item"))?;
                    let expected = if_match.unwrap_or(current.version);
                    if expected != current.version {
                        return Err(AppError::PreconditionFailed("menu item"));
                    }
                    let latest = tx
                        .menu_item_versions(Some(id))
                        .await?
                        .iter()
                        .filter_map(|v| v.effective_from)
                        .max();
                    crate::corrections::check_effective_from(effective_from, latest, now)?;
                    let row = MenuItemRow {
                        name: cmd.name.as_str().to_owned(),
                        category: cmd.category.clone().map(Label::into_string),
                        recipe_id: cmd.recipe_id,
                        portion,
                        price: cmd.price,
                        version: current.version + 1,
                        ..current
                    };
                    require_recipe(tx, &row).await?;
                    tx.update_menu_item(&row, expected)
                        .await
                        .map_err(stale("menu item", "menu_items_version"))?;
                    tx.record_menu_item_version(id, Some(effective_from), now)
                        .await?;
                    checked_menu_item(tx, &row).await?;
                    let book = Book::load_with_history(tx).await?;
                    book.check_history_from(effective_from, "recipe_id")?;
                    let touched = std::collections::BTreeSet::from([id]);
                    let correction = crate::corrections::redeplete_since(
                        tx,
                        &book,
                        &touched,
                        effective_from,
                        p.user_id,
                        now,
                    )
                    .await?;
                    let mut m = menu_view(&book, &row);
                    m.correction = Some(correction);
                    Ok(m)
                })
            },
        )
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// Retires a menu item: it leaves the menu list; a sale under its name still records and
    /// depletes its recipe. Retiring it again changes nothing (the first time is kept).
    ///
    /// # Errors
    /// 403 without `recipes.write`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn retire_menu_item(
        &self,
        p: Principal,
        id: MenuItemId,
    ) -> Result<MenuItem, AppError> {
        p.require(Permission::RecipesWrite)?;
        crate::events::write(
            self.db(),
            &p,
            crate::events::EventType::MenuItemRetired,
            move |tx| {
                Box::pin(async move {
                    tx.get_menu_item(id)
                        .await?
                        .ok_or(AppError::NotFound("menu item"))?;
                    tx.retire_menu_item(id, Utc::now()).await?;
                    let book = Book::load(tx).await?;
                    let m = book
                        .menu_items
                        .get(&id)
                        .ok_or(AppError::NotFound("menu item"))?;
                    Ok(menu_view(&book, m))
                })
            },
        )
        .await
    }

    /// Menu items on the menu (retired ones left out) by name with cost, food cost % and
    /// contribution margin, paginated.
    ///
    /// # Errors
    /// 403; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_menu_items(
        &self,
        p: Principal,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<Page<MenuItem>, AppError> {
        p.require(Permission::RecipesRead)?;
        let limit = page::limit(limit)?;
        let after = match &cursor {
            Some(c) => {
                let parts = page::decode(c, 2)?;
                Some((parts[0].clone(), page::id::<MenuItemId>(&parts[1])?))
            }
            None => None,
        };
        let items = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let book = Book::load(tx).await?;
                let mut rows: Vec<&MenuItemRow> = book
                    .menu_items
                    .values()
                    .filter(|m| m.retired_at.is_none())
                    .collect();
                rows.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
                Ok::<_, AppError>(
                    rows.into_iter()
                        .filter(|m| {
                            after
                                .as_ref()
                                .is_none_or(|(n, id)| (&m.name, &m.id) > (n, id))
                        })
                        .take(limit as usize + 1)
                        .map(|m| menu_view(&book, m))
                        .collect::<Vec<_>>(),
                )
            })
        })
        .await?;
        Ok(page::page(items, limit, |m: &MenuItem| {
            page::encode(&[&m.name, &m.id.to_string()])
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn food_cost_percent_rounds_half_even() {
        // 2.50 / 8.95 = 27.932...%
        assert_eq!(
            food_cost_pct(Money::from_raw(2_500_000), Money::from_raw(8_950_000)).as_deref(),
            Some("27.9")
        );
        // 1.25 / 10 = 12.5% exactly
        assert_eq!(
            food_cost_pct(Money::from_raw(1_250_000), Money::from_raw(10_000_000)).as_deref(),
            Some("12.5")
        );
        // 0.0025 / 1 = 0.25% -> 0.2 (tie to even)
        assert_eq!(
            food_cost_pct(Money::from_raw(2_500), Money::from_raw(1_000_000)).as_deref(),
            Some("0.2")
        );
        assert_eq!(food_cost_pct(Money::from_raw(1), Money::ZERO), None);
    }
}
