//! inventory: production (issue 9, item 5; ADR 022). A recipe that makes a prep item (a sauce,
//! a dough) is given, through its own settings (`PUT /recipes/{id}/production`), the item it
//! makes, that item's shelf life and its usual batch. A production batch at a location
//! consumes the recipe's ingredients for the planned quantity (sub-recipes that are themselves
//! produced are taken from stock as their items), FEFO at lot cost, and makes a lot of the
//! item for the actual yield, coded with the batch number, used by the day made plus the shelf
//! life, and valued at exactly what was consumed. The prep list says, per produced item with a
//! par level at a location, how much to make on a day.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use larder_core::auth::Permission;
use larder_core::decimal::div_round_half_even;
use larder_core::inventory::MovementKind;
use larder_core::inventory::production as rules;
use larder_core::menu::{self, RecipeDef, RecipeLine, Usage};
use larder_core::rational::Ratio;
use larder_core::{
    BaseUnit, ItemId, LocationId, LotId, MenuItemId, Money, MovementId, Note, ProductionBatchId,
    Quantity, RecipeId, UserId,
};
use larder_store::{
    Costing, LotSpec, Mode, MovementRow, ProductionBatchFilter, ProductionBatchRow,
    ProductionInputRow, ProductionRecipeRow, RecipeRow, StoreError, TenantTx, run_tenant,
};
use serde::{Deserialize, Serialize};

use crate::analytics::Calendar;
use crate::error::Conflicts;
use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::page::{self, Page};
use crate::{App, AppError, Principal};

/// Production's constraints, by the field clients write.
const CONFLICTS: Conflicts = Conflicts(&[("production_recipes_item_id", "item_id")]);

/// The longest shelf life a recipe may give, in days (ten years).
pub const MAX_SHELF_LIFE_DAYS: i32 = 3650;

/// The weeks of sales the prep list's expected usage averages over.
pub const PREP_WEEKS: u32 = 4;

/// What production needs to know about a recipe.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductionSettingsCommand {
    /// The prep item the recipe makes: counted in the recipe's yield unit; no other recipe
    /// may make it (409).
    pub item_id: ItemId,
    /// Days what it makes keeps, 0..=3650: the lot's use-by date is the day it was made plus
    /// this. Absent: no use-by date.
    #[schema(minimum = 0, maximum = 3650)]
    pub shelf_life_days: Option<i32>,
    /// The usual batch, in the yield unit (positive); absent: the recipe's yield. The prep
    /// list rounds up to whole batches of it, and a batch may be planned as a number of them.
    pub default_batch: Option<Quantity>,
}

/// How planned and actual yields compared over a recipe's recent batches.
#[derive(Clone, Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct YieldSummary {
    /// Batches counted (the latest 50 at most).
    pub batches: i64,
    /// What they planned, in total (yield unit).
    pub planned: Quantity,
    /// What they made, in total.
    pub actual: Quantity,
    /// Actual minus planned.
    pub variance: Quantity,
    /// That as a percentage of planned (`-4.00`); absent without batches.
    pub variance_pct: Option<String>,
}

/// A recipe's production settings as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductionSettings {
    /// The recipe.
    pub recipe_id: RecipeId,
    /// Its name.
    pub recipe_name: String,
    /// What one batch of the recipe yields.
    pub yield_quantity: Quantity,
    /// The yield unit (the produced item's base unit).
    pub yield_unit: BaseUnit,
    /// The item it makes.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Days it keeps.
    pub shelf_life_days: Option<i32>,
    /// The usual batch as set (absent: the recipe's yield).
    pub default_batch: Option<Quantity>,
    /// The batch the prep list rounds to: `default_batch`, else the yield.
    pub batch_size: Quantity,
    /// Edit version (the `ETag`).
    pub version: i64,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Yield variance over its latest batches (the base for yield learning).
    pub yields: YieldSummary,
}

/// Make a batch of a recipe.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductionCommand {
    /// Where it is made (normally the central kitchen).
    pub location_id: LocationId,
    /// The recipe; it must have production settings (a produced item), else 422.
    pub recipe_id: RecipeId,
    /// How much is planned, in the yield unit (positive). The ingredients are consumed for
    /// this. Give this or `batches`.
    pub planned_quantity: Option<Quantity>,
    /// Or a number of batches (decimal: `1.5`) of the recipe's batch size.
    pub batches: Option<Quantity>,
    /// What actually came out, in the yield unit (positive): the lot made.
    pub actual_quantity: Quantity,
    /// When it was made (default now); not more than 5 minutes in the future.
    pub produced_at: Option<DateTime<Utc>>,
    /// A note.
    pub note: Option<Note>,
}

/// What one ingredient took from one lot.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsumedLot {
    /// The lot.
    pub lot_id: LotId,
    /// Quantity taken, base units.
    pub quantity: Quantity,
    /// Its cost.
    pub cost: Money,
}

/// One ingredient a batch consumed.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductionInput {
    /// 1-based.
    pub line_no: i32,
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// Its base unit.
    pub unit: BaseUnit,
    /// Quantity consumed, base units.
    pub quantity: Quantity,
    /// Its cost at the lots' cost.
    pub cost: Money,
    /// The part no lot covered (costed provisionally, flagged).
    pub shortfall: Quantity,
    /// The `production_use` movement.
    pub movement_id: MovementId,
    /// The lots it took from, FEFO order (only when one batch is read).
    pub lots: Vec<ConsumedLot>,
}

/// A production batch as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductionBatch {
    /// Id.
    pub id: ProductionBatchId,
    /// `PB-000001`: also the produced lot's code.
    pub number: String,
    /// Where it was made.
    pub location_id: LocationId,
    /// The recipe.
    pub recipe_id: RecipeId,
    /// Its name.
    pub recipe_name: String,
    /// The item made.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// The yield unit.
    pub unit: BaseUnit,
    /// Planned (what the ingredients were consumed for).
    pub planned_quantity: Quantity,
    /// What came out.
    pub actual_quantity: Quantity,
    /// Actual minus planned.
    pub yield_variance: Quantity,
    /// That as a percentage of planned (`-4.00`).
    pub yield_variance_pct: Option<String>,
    /// What it consumed, at lot cost: the produced lot's value, exactly.
    pub cost: Money,
    /// Cost per base unit of what it made (rounded half to even).
    pub unit_cost: Money,
    /// The produced lot's use-by date.
    pub expires_on: Option<NaiveDate>,
    /// When it was made.
    pub produced_at: DateTime<Utc>,
    /// The lot it made.
    pub lot_id: Option<LotId>,
    /// Its `production_output` movement.
    pub output_movement_id: MovementId,
    /// Note.
    pub note: Option<String>,
    /// Who recorded it.
    pub created_by: UserId,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// What it consumed.
    pub inputs: Vec<ProductionInput>,
}

/// Filters for batches, newest first.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProductionBatchQuery {
    /// Made at this location.
    pub location_id: Option<LocationId>,
    /// Of this recipe (its yield variance, batch by batch).
    pub recipe_id: Option<RecipeId>,
    /// Making this item.
    pub item_id: Option<ItemId>,
    /// 1..=500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// From the previous page.
    #[param(max_length = 1024)]
    pub cursor: Option<String>,
}

/// Which prep list.
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PrepListQuery {
    /// The location.
    pub location_id: LocationId,
    /// The business day (default today's).
    pub date: Option<NaiveDate>,
}

/// One produced item on the prep list. Quantities in the recipe's yield unit.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PrepLine {
    /// The recipe that makes it.
    pub recipe_id: RecipeId,
    /// Its name.
    pub recipe_name: String,
    /// The item.
    pub item_id: ItemId,
    /// Its name.
    pub item_name: String,
    /// The yield unit.
    pub unit: BaseUnit,
    /// Par level at the location.
    pub par_level: Quantity,
    /// On hand now.
    pub on_hand: Quantity,
    /// Expected usage on the day: the mean over the same weekday of the last 4 weeks of
    /// portions sold at the location x what a portion takes of the item.
    pub expected_usage: Quantity,
    /// The batch size rounded to.
    pub batch_size: Quantity,
    /// Whole batches to make.
    pub batches: i64,
    /// `max(0, par + expected usage - on hand)` rounded up to whole batches.
    pub to_make: Quantity,
}

/// The prep list of a location for a day.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PrepList {
    /// The location.
    pub location_id: LocationId,
    /// The business day.
    pub date: NaiveDate,
    /// Weeks of sales averaged.
    pub weeks: u32,
    /// One line per produced item with a par level there, by recipe name.
    pub lines: Vec<PrepLine>,
}

/// Everything a batch or a list needs to name things, loaded once per transaction.
struct Names {
    recipes: Vec<RecipeRow>,
    units: HashMap<ItemId, BaseUnit>,
    costs: HashMap<ItemId, Money>,
    items: HashMap<ItemId, String>,
}

impl Names {
    async fn load(tx: &mut dyn TenantTx) -> Result<Self, AppError> {
        let recipes = tx.all_recipes().await?;
        let item_rows = tx.all_item_units().await?;
        Ok(Self {
            recipes,
            units: item_rows.iter().map(|i| (i.id, i.base_unit)).collect(),
            costs: item_rows
                .iter()
                .filter_map(|i| i.unit_cost.map(|c| (i.id, c)))
                .collect(),
            items: item_rows.into_iter().map(|i| (i.id, i.name)).collect(),
        })
    }

    fn recipe(&self, id: RecipeId) -> Option<&RecipeRow> {
        self.recipes.iter().find(|r| r.id == id)
    }

    fn recipe_name(&self, id: RecipeId) -> String {
        self.recipe(id)
            .map_or_else(|| id.to_string(), |r| r.name.clone())
    }

    fn item_name(&self, id: ItemId) -> String {
        self.items
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn defs(&self) -> HashMap<RecipeId, RecipeDef> {
        self.recipes
            .iter()
            .map(|r| {
                (
                    r.id,
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
                    },
                )
            })
            .collect()
    }
}

fn produced_map(rows: &[ProductionRecipeRow]) -> HashMap<RecipeId, ItemId> {
    rows.iter().map(|r| (r.recipe_id, r.item_id)).collect()
}

fn batch_size(settings: &ProductionRecipeRow, recipe: &RecipeRow) -> Quantity {
    settings.default_batch.unwrap_or(recipe.yield_quantity)
}

/// Yield variance over a recipe's latest batches.
async fn yields(tx: &mut dyn TenantTx, recipe: RecipeId) -> Result<YieldSummary, AppError> {
    let rows = tx
        .list_production_batches(&ProductionBatchFilter {
            recipe: Some(recipe),
            limit: 50,
            ..Default::default()
        })
        .await?;
    let (mut planned, mut actual) = (0i128, 0i128);
    for b in &rows {
        planned += i128::from(b.planned_quantity.raw());
        actual += i128::from(b.actual_quantity.raw());
    }
    let clamp = |v: i128| {
        Quantity::checked_from_raw(i64::try_from(v).unwrap_or(i64::MAX)).unwrap_or(Quantity::MAX)
    };
    let (planned, actual) = (clamp(planned), clamp(actual));
    let (variance, pct) = rules::yield_variance(planned, actual);
    Ok(YieldSummary {
        batches: i64::try_from(rows.len()).unwrap_or(i64::MAX),
        planned,
        actual,
        variance,
        variance_pct: pct.map(rules::format_pct),
    })
}

async fn settings_view(
    tx: &mut dyn TenantTx,
    row: ProductionRecipeRow,
    recipe: &RecipeRow,
) -> Result<ProductionSettings, AppError> {
    let item_name = tx
        .get_item(row.item_id)
        .await?
        .map_or_else(|| row.item_id.to_string(), |i| i.name);
    Ok(ProductionSettings {
        recipe_id: recipe.id,
        recipe_name: recipe.name.clone(),
        yield_quantity: recipe.yield_quantity,
        yield_unit: recipe.yield_unit,
        item_id: row.item_id,
        item_name,
        shelf_life_days: row.shelf_life_days,
        default_batch: row.default_batch,
        batch_size: batch_size(&row, recipe),
        version: row.version,
        updated_at: row.updated_at,
        yields: yields(tx, recipe.id).await?,
    })
}

/// The view of a stored batch; with `lots`, each input's consumed lots.
async fn batch_view(
    tx: &mut dyn TenantTx,
    names: &Names,
    b: ProductionBatchRow,
    lots: bool,
) -> Result<ProductionBatch, AppError> {
    let inputs = tx.production_batch_inputs(b.id).await?;
    let mut out = Vec::with_capacity(inputs.len());
    for i in inputs {
        let taken = if lots {
            tx.movement_lots(i.movement_id)
                .await?
                .into_iter()
                .map(|t| ConsumedLot {
                    lot_id: t.lot_id,
                    quantity: t.quantity,
                    cost: t.cost,
                })
                .collect()
        } else {
            Vec::new()
        };
        out.push(ProductionInput {
            line_no: i.line_no,
            item_id: i.item_id,
            item_name: names.item_name(i.item_id),
            unit: names.units.get(&i.item_id).copied().unwrap_or(BaseUnit::G),
            quantity: i.quantity,
            cost: i.cost,
            shortfall: i.shortfall,
            movement_id: i.movement_id,
            lots: taken,
        });
    }
    let (variance, pct) = rules::yield_variance(b.planned_quantity, b.actual_quantity);
    let unit_cost = unit_cost_of(b.cost, b.actual_quantity);
    Ok(ProductionBatch {
        id: b.id,
        number: rules::batch_number(b.number),
        location_id: b.location_id,
        recipe_id: b.recipe_id,
        recipe_name: names.recipe_name(b.recipe_id),
        item_id: b.item_id,
        item_name: names.item_name(b.item_id),
        unit: names.units.get(&b.item_id).copied().unwrap_or(BaseUnit::G),
        planned_quantity: b.planned_quantity,
        actual_quantity: b.actual_quantity,
        yield_variance: variance,
        yield_variance_pct: pct.map(rules::format_pct),
        cost: b.cost,
        unit_cost,
        expires_on: b.expires_on,
        produced_at: b.produced_at,
        lot_id: b.lot_id,
        output_movement_id: b.output_movement_id,
        note: b.note,
        created_by: b.created_by,
        created_at: b.created_at,
        inputs: out,
    })
}

/// Cost per base unit (millionths) of `quantity` thousandths costing `cost`, half to even.
fn unit_cost_of(cost: Money, quantity: Quantity) -> Money {
    if quantity.raw() == 0 {
        return Money::ZERO;
    }
    let raw = div_round_half_even(i128::from(cost.raw()) * 1000, i128::from(quantity.raw()));
    i64::try_from(raw)
        .ok()
        .and_then(Money::checked_from_raw)
        .unwrap_or(Money::MAX)
}

/// The planned quantity of a command: given, or batches x the batch size, exactly.
fn planned_of(
    cmd: &ProductionCommand,
    settings: &ProductionRecipeRow,
    recipe: &RecipeRow,
) -> Result<Quantity, AppError> {
    match (cmd.planned_quantity, cmd.batches) {
        (Some(q), None) => Ok(q),
        (None, Some(n)) => {
            let product = i128::from(n.raw()) * i128::from(batch_size(settings, recipe).raw());
            if product % 1000 != 0 {
                return Err(AppError::invalid(
                    "batches",
                    "that many batches is finer than a thousandth of the yield unit",
                ));
            }
            i64::try_from(product / 1000)
                .ok()
                .and_then(Quantity::checked_from_raw)
                .filter(|q| q.raw() > 0)
                .ok_or_else(|| AppError::invalid("batches", "is out of range"))
        }
        _ => Err(AppError::invalid(
            "planned_quantity",
            "give either planned_quantity or batches",
        )),
    }
}

fn check_shape(cmd: &ProductionCommand, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
    if cmd.planned_quantity.is_some() == cmd.batches.is_some() {
        return Err(AppError::invalid(
            "planned_quantity",
            "give either planned_quantity or batches",
        ));
    }
    if cmd.planned_quantity.is_some_and(|q| q.raw() <= 0) {
        return Err(AppError::invalid("planned_quantity", "must be positive"));
    }
    if cmd.batches.is_some_and(|q| q.raw() <= 0) {
        return Err(AppError::invalid("batches", "must be positive"));
    }
    if cmd.actual_quantity.raw() <= 0 {
        return Err(AppError::invalid(
            "actual_quantity",
            "must be positive (a batch that came to nothing is waste)",
        ));
    }
    let at = cmd.produced_at.unwrap_or(now);
    if at > now + Duration::minutes(5) {
        return Err(AppError::invalid(
            "produced_at",
            "must not be in the future",
        ));
    }
    Ok(at)
}

async fn visible_location(
    tx: &mut dyn TenantTx,
    p: &Principal,
    location: LocationId,
) -> Result<(), AppError> {
    crate::tenancy::require_location(tx, p.locations, location).await?;
    tx.get_location(location)
        .await?
        .ok_or(AppError::NotFound("location"))?;
    Ok(())
}

/// Posts a batch inside the caller's transaction.
async fn post_batch(
    tx: &mut dyn TenantTx,
    p: &Principal,
    c: &ProductionCommand,
    produced_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ProductionBatch, AppError> {
    visible_location(tx, p, c.location_id).await?;
    let names = Names::load(tx).await?;
    let recipe = names
        .recipe(c.recipe_id)
        .cloned()
        .ok_or(AppError::NotFound("recipe"))?;
    if recipe.retired_at.is_some() {
        return Err(AppError::invalid("recipe_id", "the recipe is retired"));
    }
    let settings = tx.get_production_recipe(recipe.id).await?.ok_or_else(|| {
        AppError::invalid(
            "recipe_id",
            "the recipe makes no stock item: give it one with PUT /recipes/{id}/production",
        )
    })?;
    let planned = planned_of(c, &settings, &recipe)?;
    let produced = produced_map(&tx.all_production_recipes().await?);
    let usage = rules::batch_usage(recipe.id, &names.defs(), &names.units, &produced, planned)
        .map_err(|e| AppError::invalid("recipe_id", e.to_string()))?;
    let number = tx.next_production_batch_number().await?;
    let code = rules::batch_number(number);
    let reason = format!("production {code}");
    let uses: Vec<MovementRow> = usage
        .iter()
        .map(|(item, q)| {
            Ok(MovementRow {
                id: MovementId::new(),
                item_id: *item,
                location_id: c.location_id,
                kind: MovementKind::ProductionUse,
                quantity: q
                    .checked_neg()
                    .ok_or_else(|| AppError::invalid("planned_quantity", "is out of range"))?,
                unit_cost: names.costs.get(item).copied(),
                reason: Some(reason.clone()),
                sale_id: None,
                created_by: Some(p.user_id),
                reverses: None,
                occurred_at: produced_at,
                recorded_at: now,
                lot: None,
                costing: Costing::default(),
            })
        })
        .collect::<Result<_, AppError>>()?;
    let costs = crate::events::append_movements(tx, &uses).await?;
    let mut inputs = Vec::with_capacity(uses.len());
    let mut total = Money::ZERO;
    for (n, (m, cost)) in uses.iter().zip(costs.iter()).enumerate() {
        let spent = cost
            .costing
            .value
            .checked_neg()
            .ok_or_else(|| AppError::invalid("planned_quantity", "the cost is out of range"))?;
        total = total
            .checked_add(spent)
            .ok_or_else(|| AppError::invalid("planned_quantity", "the cost is out of range"))?;
        inputs.push(ProductionInputRow {
            line_no: i32::try_from(n + 1).unwrap_or(i32::MAX),
            item_id: m.item_id,
            quantity: m.quantity.checked_neg().unwrap_or(Quantity::ZERO),
            cost: spent,
            shortfall: cost.costing.shortfall,
            movement_id: m.id,
        });
    }
    // The lot's use-by date counts from the business day it was made.
    let tenant = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
    let day = Calendar::of(&tenant)?.business_date(produced_at);
    let expires_on = rules::use_by(day, settings.shelf_life_days);
    let output = MovementRow {
        id: MovementId::new(),
        item_id: settings.item_id,
        location_id: c.location_id,
        kind: MovementKind::ProductionOutput,
        quantity: c.actual_quantity,
        unit_cost: Some(unit_cost_of(total, c.actual_quantity)),
        reason: Some(reason),
        sale_id: None,
        created_by: Some(p.user_id),
        reverses: None,
        occurred_at: produced_at,
        recorded_at: now,
        lot: Some(LotSpec {
            code: Some(code),
            expires_on,
            value: Some(total),
        }),
        costing: Costing::default(),
    };
    let out_cost = crate::events::append_movements(tx, std::slice::from_ref(&output)).await?;
    let row = ProductionBatchRow {
        id: ProductionBatchId::new(),
        number,
        location_id: c.location_id,
        recipe_id: recipe.id,
        item_id: settings.item_id,
        planned_quantity: planned,
        actual_quantity: c.actual_quantity,
        cost: total,
        expires_on,
        produced_at,
        output_movement_id: output.id,
        lot_id: out_cost.first().and_then(|c| c.lot_id),
        note: c.note.clone().map(Note::into_string),
        created_by: p.user_id,
        created_at: now,
    };
    tx.insert_production_batch(&row, &inputs).await?;
    batch_view(tx, &names, row, true).await
}

/// Usage per portion of each menu item, of produced items only (sub-recipes with a produced
/// item stop at it; a menu item whose recipe is itself produced sells its item).
fn portion_usage(
    names: &Names,
    produced: &HashMap<RecipeId, ItemId>,
    menu_items: &[larder_store::MenuItemRow],
) -> HashMap<MenuItemId, Usage> {
    let book = rules::stock_book(&names.defs(), produced);
    let mut out = HashMap::new();
    for m in menu_items {
        let Some(r) = m.recipe_id else { continue };
        let per_yield = match produced.get(&r) {
            Some(item) => Usage::from([(*item, Ratio::from_int(1))]),
            // A recipe that cannot be exploded is refused when saved; one that still fails
            // here adds nothing to the list rather than hiding every other line.
            None => match menu::explode(r, &book, &names.units) {
                Ok(u) => u,
                Err(_) => continue,
            },
        };
        let per_yield: Usage = per_yield
            .into_iter()
            .filter(|(item, _)| produced.values().any(|p| p == item))
            .collect();
        if per_yield.is_empty() {
            continue;
        }
        let mut per_portion = Usage::new();
        if menu::accumulate(&mut per_portion, &per_yield, m.portion).is_some() {
            out.insert(m.id, per_portion);
        }
    }
    out
}

impl App {
    /// Sets what production needs to know about a recipe: the item it makes, shelf life and
    /// usual batch. Without `If-Match` the write is unconditional.
    ///
    /// # Errors
    /// 403 without `recipes.write`; 404 on a recipe or item not the tenant's; 409 on
    /// `item_id` when another recipe makes the item; 412 on a stale `If-Match`; 422 on
    /// `item_id` (not counted in the yield unit), `shelf_life_days` or `default_batch`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn put_production_settings(
        &self,
        p: Principal,
        recipe_id: RecipeId,
        cmd: ProductionSettingsCommand,
        if_match: Option<i64>,
    ) -> Result<ProductionSettings, AppError> {
        p.require(Permission::RecipesWrite)?;
        if cmd
            .shelf_life_days
            .is_some_and(|d| !(0..=MAX_SHELF_LIFE_DAYS).contains(&d))
        {
            return Err(AppError::invalid(
                "shelf_life_days",
                format!("must be 0 to {MAX_SHELF_LIFE_DAYS} days"),
            ));
        }
        if cmd.default_batch.is_some_and(|q| q.raw() <= 0) {
            return Err(AppError::invalid("default_batch", "must be positive"));
        }
        let now = Utc::now();
        crate::events::write(self.db(), &p, crate::events::EventType::ProductionSettingsSet, move |tx| {
            Box::pin(async move {
                let recipe = tx
                    .get_recipe(recipe_id)
                    .await?
                    .ok_or(AppError::NotFound("recipe"))?;
                let item = tx
                    .get_item(cmd.item_id)
                    .await?
                    .ok_or(AppError::NotFound("item"))?;
                if item.base_unit != recipe.yield_unit {
                    return Err(AppError::invalid(
                        "item_id",
                        format!(
                            "is counted in {} and the recipe yields {}: the produced item is counted in the yield unit",
                            item.base_unit.as_str(),
                            recipe.yield_unit.as_str()
                        ),
                    ));
                }
                let current = tx.get_production_recipe(recipe_id).await?;
                let stale = || AppError::PreconditionFailed("production settings");
                let mut row = ProductionRecipeRow {
                    recipe_id,
                    item_id: cmd.item_id,
                    shelf_life_days: cmd.shelf_life_days,
                    default_batch: cmd.default_batch,
                    version: 1,
                    updated_at: now,
                };
                match current {
                    None if if_match.is_some() => return Err(stale()),
                    None => tx.insert_production_recipe(&row).await?,
                    Some(c) => {
                        let expected = if_match.unwrap_or(c.version);
                        row.version = expected.saturating_add(1);
                        tx.update_production_recipe(&row, expected)
                            .await
                            .map_err(|e| match e {
                                StoreError::Conflict { constraint }
                                    if constraint == "production_recipes_version" =>
                                {
                                    stale()
                                }
                                other => other.into(),
                            })?;
                    }
                }
                settings_view(tx, row, &recipe).await
            })
        })
        .await
        .map_err(|e| CONFLICTS.name(e))
    }

    /// A recipe's production settings, with its yield variance.
    ///
    /// # Errors
    /// 403 without `recipes.read`; 404 when the recipe is not the tenant's or has none.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_production_settings(
        &self,
        p: Principal,
        recipe_id: RecipeId,
    ) -> Result<ProductionSettings, AppError> {
        p.require(Permission::RecipesRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let recipe = tx
                    .get_recipe(recipe_id)
                    .await?
                    .ok_or(AppError::NotFound("recipe"))?;
                let row = tx
                    .get_production_recipe(recipe_id)
                    .await?
                    .ok_or(AppError::NotFound("production settings"))?;
                settings_view(tx, row, &recipe).await
            })
        })
        .await
    }

    /// Every recipe that makes a stock item, with its settings (for pickers), by recipe name.
    ///
    /// # Errors
    /// 403 without `recipes.read`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_production_settings(
        &self,
        p: Principal,
    ) -> Result<Vec<ProductionSettings>, AppError> {
        p.require(Permission::RecipesRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.all_production_recipes().await?;
                let recipes = tx.all_recipes().await?;
                let mut out = Vec::new();
                for row in rows {
                    if let Some(r) = recipes
                        .iter()
                        .find(|r| r.id == row.recipe_id && r.retired_at.is_none())
                    {
                        out.push(settings_view(tx, row, r).await?);
                    }
                }
                out.sort_by(|a, b| a.recipe_name.cmp(&b.recipe_name));
                Ok(out)
            })
        })
        .await
    }

    /// Makes a batch: consumes the ingredients for the planned quantity FEFO at lot cost and
    /// makes a lot of the produced item for the actual yield, valued at exactly what was
    /// consumed, in one transaction; retried with its key, it posts once.
    ///
    /// # Errors
    /// 403 without `inventory.adjust`; 404 on a location or recipe not the tenant's (or a
    /// location outside a limited member's); 422 on `recipe_id` (no produced item, retired,
    /// cannot be exploded), `planned_quantity`, `batches`, `actual_quantity` or
    /// `produced_at`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn produce(
        &self,
        p: Principal,
        cmd: ProductionCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<ProductionBatch>, AppError> {
        p.require(Permission::InventoryAdjust)?;
        let now = Utc::now();
        let produced_at = check_shape(&cmd, now)?;
        let c = cmd.clone();
        run_once(
            self.db(),
            &p,
            key,
            crate::events::EventType::BatchProduced,
            &cmd,
            move |tx| Box::pin(async move { post_batch(tx, &p, &c, produced_at, now).await }),
        )
        .await
    }

    /// One batch, with the lots each ingredient was taken from.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 404 (one at a location outside a limited member's too).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn get_production_batch(
        &self,
        p: Principal,
        id: ProductionBatchId,
    ) -> Result<ProductionBatch, AppError> {
        p.require(Permission::InventoryRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let b = tx
                    .get_production_batch(id)
                    .await?
                    .ok_or(AppError::NotFound("production batch"))?;
                crate::tenancy::require_location(tx, p.locations, b.location_id)
                    .await
                    .map_err(|_| AppError::NotFound("production batch"))?;
                let names = Names::load(tx).await?;
                batch_view(tx, &names, b, true).await
            })
        })
        .await
    }

    /// Batches, newest first, each with its yield variance; a limited member's locations
    /// only.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 422 on `limit` or `cursor`.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn list_production_batches(
        &self,
        p: Principal,
        q: ProductionBatchQuery,
    ) -> Result<Page<ProductionBatch>, AppError> {
        p.require(Permission::InventoryRead)?;
        let limit = page::limit(q.limit)?;
        let before = match &q.cursor {
            Some(c) => Some(page::id::<ProductionBatchId>(&page::decode(c, 1)?[0])?),
            None => None,
        };
        let filter = ProductionBatchFilter {
            location: q.location_id,
            recipe: q.recipe_id,
            item: q.item_id,
            scope: p.locations,
            before,
            limit: limit + 1,
        };
        let batches = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.list_production_batches(&filter).await?;
                let names = Names::load(tx).await?;
                let mut out = Vec::with_capacity(rows.len());
                for b in rows {
                    out.push(batch_view(tx, &names, b, false).await?);
                }
                Ok::<_, AppError>(out)
            })
        })
        .await?;
        Ok(page::page(batches, limit, |b: &ProductionBatch| {
            page::encode(&[&b.id.to_string()])
        }))
    }

    /// The prep list of a location for a business day: per produced item with a par level
    /// there, on hand now, expected usage that day (the mean over the same weekday of the
    /// last 4 weeks of portions sold there x what a portion takes of the item), and what to
    /// make, `max(0, par + expected - on hand)` rounded up to whole batches.
    ///
    /// # Errors
    /// 403 without `inventory.read`; 404 on a location not the tenant's (or outside a limited
    /// member's).
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn prep_list(&self, p: Principal, q: PrepListQuery) -> Result<PrepList, AppError> {
        p.require(Permission::InventoryRead)?;
        let now = Utc::now();
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                visible_location(tx, &p, q.location_id).await?;
                let tenant = tx.get_tenant().await?.ok_or(AppError::NotFound("tenant"))?;
                let cal = Calendar::of(&tenant)?;
                let date = q.date.unwrap_or_else(|| cal.business_date(now));
                let candidates = tx.prep_candidates(q.location_id).await?;
                if candidates.is_empty() {
                    return Ok(PrepList {
                        location_id: q.location_id,
                        date,
                        weeks: PREP_WEEKS,
                        lines: Vec::new(),
                    });
                }
                let names = Names::load(tx).await?;
                let settings = tx.all_production_recipes().await?;
                let produced = produced_map(&settings);
                let menu_items = tx.all_menu_items().await?;
                let usage = portion_usage(&names, &produced, &menu_items);
                let mut days = Vec::new();
                for k in 1..=i64::from(PREP_WEEKS) {
                    let Some(d) = date.checked_sub_signed(Duration::days(7 * k)) else {
                        continue;
                    };
                    let next = d.succ_opt().unwrap_or(d);
                    let sold = tx
                        .sold_by_menu_item(q.location_id, cal.day_start(d), cal.day_start(next))
                        .await?;
                    days.push(
                        sold.into_iter()
                            .map(|s| (s.menu_item_id, s.quantity))
                            .collect::<HashMap<_, _>>(),
                    );
                }
                let expected = rules::expected_usage(&days, &usage, PREP_WEEKS)
                    .and_then(|u| menu::to_quantities(&u))
                    .ok_or_else(|| AppError::invalid("date", "expected usage overflows"))?;
                let expected: HashMap<ItemId, Quantity> = expected.into_iter().collect();
                let mut lines = Vec::with_capacity(candidates.len());
                for c in candidates {
                    let (Some(recipe), Some(s)) = (
                        names.recipe(c.recipe_id),
                        settings.iter().find(|s| s.recipe_id == c.recipe_id),
                    ) else {
                        continue;
                    };
                    if recipe.retired_at.is_some() {
                        continue;
                    }
                    let exp = expected.get(&c.item_id).copied().unwrap_or(Quantity::ZERO);
                    let size = batch_size(s, recipe);
                    let (to_make, batches) = rules::to_make(c.par_level, exp, c.on_hand, size)
                        .ok_or_else(|| AppError::invalid("date", "the prep list overflows"))?;
                    lines.push(PrepLine {
                        recipe_id: recipe.id,
                        recipe_name: recipe.name.clone(),
                        item_id: c.item_id,
                        item_name: names.item_name(c.item_id),
                        unit: recipe.yield_unit,
                        par_level: c.par_level,
                        on_hand: c.on_hand,
                        expected_usage: exp,
                        batch_size: size,
                        batches,
                        to_make,
                    });
                }
                lines.sort_by(|a, b| a.recipe_name.cmp(&b.recipe_name));
                Ok(PrepList {
                    location_id: q.location_id,
                    date,
                    weeks: PREP_WEEKS,
                    lines,
                })
            })
        })
        .await
    }
}
