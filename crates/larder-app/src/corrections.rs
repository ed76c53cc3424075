//! corrections: recipes and menu items as they were when a sale happened, and the
//! re-depletion of past sales when that changes.
//!
//! Every edit of a recipe (lines, yield) or a menu item (recipe, portion, price) is a new
//! version in force from its `effective_from` until the next version's; a first version is in
//! force from the start. A sale is depleted with the versions in force at its `occurred_at`
//! ([`History`], used by [`crate::sales::Depleter`]). An edit dated before sales already
//! depleted after it, and a POS name mapped to a menu item after sales named it, re-deplete
//! those sales ([`redeplete`]): for each item whose depletion changes, every live sale
//! movement of it is reversed (same kind, opposite quantity, `reverses` naming it; the
//! ledger's unique index lets a movement be reversed once) and the depletion under the
//! versions in force is posted, so the ledger ends exactly where posting the sale today would
//! have put it. ADR 023.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use larder_core::auth::Permission;
use larder_core::menu::{self, Component, RecipeDef, RecipeLine, Usage};
use larder_core::{
    BaseUnit, ItemId, MenuItemId, Money, MovementId, Quantity, RecipeId, SaleId, UserId,
};
use larder_store::prelude::*;
use larder_store::{
    Costing, LotSpec, MenuItemRow, MenuItemVersionRow, Mode, MovementRow, RecipeRow,
    RecipeVersionRow, run_tenant,
};
use serde::{Deserialize, Serialize};

use crate::menu::{Book, RecipeLineView, food_cost_pct};
use crate::sales::Depleter;
use crate::{App, AppError, Principal};

/// The most sales one correction re-depletes in its transaction. A backdated edit or a late
/// mapping that would touch more is refused (422) rather than holding the writer for minutes:
/// pick a later `effective_from`.
pub const MAX_REDEPLETED_SALES: usize = 10_000;

/// A menu item's recipe, portion and price in one version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MenuVersion {
    /// The recipe one sale consumes; `None`: unmapped.
    pub recipe_id: Option<RecipeId>,
    /// Portion of the recipe's yield unit.
    pub portion: Quantity,
    /// Menu price.
    pub price: Option<Money>,
}

/// One version of something, in force from `from` (`None`: from the start).
#[derive(Clone, Debug)]
struct Versioned<T> {
    from: Option<DateTime<Utc>>,
    version: i64,
    recorded: Option<DateTime<Utc>>,
    value: T,
}

/// The versions of every recipe and menu item, by version (which is also their order in
/// time: an edit never takes effect before the current version's date).
#[derive(Clone, Debug, Default)]
pub struct History {
    recipes: HashMap<RecipeId, Vec<Versioned<RecipeDef>>>,
    menu: HashMap<MenuItemId, Vec<Versioned<MenuVersion>>>,
    /// Every instant a version takes effect, sorted, without repeats: between two of them
    /// the book does not change.
    breakpoints: Vec<DateTime<Utc>>,
}

/// The version in force at `at` (`None`: before every dated version): the last whose
/// `from` is not after `at`, else the first.
fn in_force<T>(versions: &[Versioned<T>], at: Option<DateTime<Utc>>) -> Option<&Versioned<T>> {
    versions
        .iter()
        .rev()
        .find(|v| match (v.from, at) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(f), Some(t)) => f <= t,
        })
        .or_else(|| versions.first())
}

fn def_of_version(v: &RecipeVersionRow, name: &str) -> RecipeDef {
    RecipeDef {
        id: v.recipe_id,
        name: name.to_owned(),
        yield_quantity: v.yield_quantity,
        yield_unit: v.yield_unit,
        lines: v
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

fn menu_version(m: &MenuItemRow) -> MenuVersion {
    MenuVersion {
        recipe_id: m.recipe_id,
        portion: m.portion,
        price: m.price,
    }
}

impl History {
    /// Builds the history from stored versions and the current rows. A recipe or menu item
    /// without a recorded version (written before versions were kept, or straight through
    /// the store) has its current row as its one version; one whose current row is newer
    /// than its last recorded version has it in force from that version's date.
    fn from_rows(
        recipes: &[RecipeRow],
        recipe_versions: &[RecipeVersionRow],
        menu_items: &[MenuItemRow],
        menu_versions: &[MenuItemVersionRow],
        def: impl Fn(&RecipeRow) -> RecipeDef,
    ) -> Self {
        let names: HashMap<RecipeId, &str> =
            recipes.iter().map(|r| (r.id, r.name.as_str())).collect();
        let mut h = Self::default();
        for v in recipe_versions {
            let name = names.get(&v.recipe_id).copied().unwrap_or_default();
            h.recipes.entry(v.recipe_id).or_default().push(Versioned {
                from: v.effective_from,
                version: v.version,
                recorded: Some(v.recorded_at),
                value: def_of_version(v, name),
            });
        }
        for r in recipes {
            let list = h.recipes.entry(r.id).or_default();
            list.sort_by_key(|v| v.version);
            match list.last() {
                Some(last) if last.version >= r.version => {}
                last => {
                    let from = last.and_then(|l| l.from);
                    list.push(Versioned {
                        from,
                        version: r.version,
                        recorded: None,
                        value: def(r),
                    });
                }
            }
        }
        for v in menu_versions {
            h.menu.entry(v.menu_item_id).or_default().push(Versioned {
                from: v.effective_from,
                version: v.version,
                recorded: Some(v.recorded_at),
                value: MenuVersion {
                    recipe_id: v.recipe_id,
                    portion: v.portion,
                    price: v.price,
                },
            });
        }
        for m in menu_items {
            let list = h.menu.entry(m.id).or_default();
            list.sort_by_key(|v| v.version);
            match list.last() {
                Some(last) if last.version >= m.version => {}
                last => {
                    let from = last.and_then(|l| l.from);
                    list.push(Versioned {
                        from,
                        version: m.version,
                        recorded: None,
                        value: menu_version(m),
                    });
                }
            }
        }
        let mut points: BTreeSet<DateTime<Utc>> = BTreeSet::new();
        points.extend(h.recipes.values().flatten().filter_map(|v| v.from));
        points.extend(h.menu.values().flatten().filter_map(|v| v.from));
        h.breakpoints = points.into_iter().collect();
        h
    }

    /// The number of periods the breakpoints cut time into; the last is "now".
    pub fn epochs(&self) -> usize {
        self.breakpoints.len() + 1
    }

    /// The period holding `at`: how many breakpoints are not after it.
    pub fn epoch_of(&self, at: DateTime<Utc>) -> usize {
        self.breakpoints.partition_point(|b| *b <= at)
    }

    /// An instant inside period `epoch` (`None` for the first, which reaches back forever).
    pub fn epoch_start(&self, epoch: usize) -> Option<DateTime<Utc>> {
        epoch
            .checked_sub(1)
            .and_then(|i| self.breakpoints.get(i).copied())
    }

    /// The recipes as they were at `at` (`None`: before every dated version).
    pub fn recipes_at(&self, at: Option<DateTime<Utc>>) -> HashMap<RecipeId, RecipeDef> {
        self.recipes
            .iter()
            .filter_map(|(id, vs)| in_force(vs, at).map(|v| (*id, v.value.clone())))
            .collect()
    }

    /// A menu item as it was at `at`.
    pub fn menu_item_at(&self, id: MenuItemId, at: Option<DateTime<Utc>>) -> Option<&MenuVersion> {
        self.menu
            .get(&id)
            .and_then(|vs| in_force(vs, at))
            .map(|v| &v.value)
    }
}

impl Book {
    /// Loads the book with the history of every recipe and menu item, for depleting sales
    /// at the versions in force when they happened.
    ///
    /// # Errors
    /// Storage errors.
    #[tracing::instrument(skip_all, err(level = "info"))]
    pub async fn load_with_history(tx: &mut dyn TenantTx) -> Result<Self, AppError> {
        let recipes = tx.all_recipes().await?;
        let items = tx.all_item_units().await?;
        let menu = tx.all_menu_items().await?;
        let recipe_versions = tx.recipe_versions(None).await?;
        let menu_versions = tx.menu_item_versions(None).await?;
        let history = History::from_rows(
            &recipes,
            &recipe_versions,
            &menu,
            &menu_versions,
            crate::menu::def_of,
        );
        let mut book = Self::from_rows(&recipes, &items, menu);
        book.history = Some(history);
        book.load_produced(tx).await?;
        Ok(book)
    }

    /// Per-sale usage of every menu item with the versions in force in period `epoch` of
    /// the book's history (the current book when it has none).
    ///
    /// # Errors
    /// 422 when a version in force cannot be exploded.
    pub(crate) fn usage_in_epoch(
        &self,
        epoch: usize,
    ) -> Result<HashMap<MenuItemId, Option<Usage>>, AppError> {
        let Some(h) = &self.history else {
            return self.current_usage();
        };
        let at = h.epoch_start(epoch);
        let recipes = self.stocked(h.recipes_at(at));
        let mut out = HashMap::with_capacity(self.menu_items.len());
        for m in self.menu_items.values() {
            let v = h
                .menu_item_at(m.id, at)
                .cloned()
                .unwrap_or_else(|| menu_version(m));
            out.insert(m.id, self.per_sale(&m.name, &v, &recipes)?);
        }
        Ok(out)
    }

    /// Per-sale usage of every menu item as they are now.
    ///
    /// # Errors
    /// 422 when a recipe cannot be exploded.
    pub(crate) fn current_usage(&self) -> Result<HashMap<MenuItemId, Option<Usage>>, AppError> {
        let recipes = self.stocked(self.recipes.clone());
        let mut out = HashMap::with_capacity(self.menu_items.len());
        for m in self.menu_items.values() {
            out.insert(m.id, self.per_sale(&m.name, &menu_version(m), &recipes)?);
        }
        Ok(out)
    }

    /// `recipes` as a sale depletes them: a line naming a sub-recipe that production makes
    /// into a stock item takes that item ([`larder_core::inventory::production::stock_book`]).
    fn stocked(&self, recipes: HashMap<RecipeId, RecipeDef>) -> HashMap<RecipeId, RecipeDef> {
        if self.produced.is_empty() {
            recipes
        } else {
            larder_core::inventory::production::stock_book(&recipes, &self.produced)
        }
    }

    /// What one sale of a menu item version takes, per item in base units: its recipe
    /// exploded (produced sub-recipes as their items), or, when production makes the recipe
    /// itself into a stock item, that item (one base unit per yield unit: the item is counted
    /// in the recipe's yield unit, ADR 022), times the portion.
    fn per_sale(
        &self,
        name: &str,
        v: &MenuVersion,
        recipes: &HashMap<RecipeId, RecipeDef>,
    ) -> Result<Option<Usage>, AppError> {
        let Some(r) = v.recipe_id else {
            return Ok(None);
        };
        let exploded = match self.produced.get(&r) {
            Some(item) => Usage::from([(*item, larder_core::rational::Ratio::from_int(1))]),
            None => menu::explode(r, recipes, &self.units)
                .map_err(|e| AppError::invalid("recipe", e.to_string()))?,
        };
        let mut per_sale = Usage::new();
        menu::accumulate(&mut per_sale, &exploded, v.portion)
            .ok_or_else(|| AppError::invalid("portion", format!("menu item '{name}' overflows")))?;
        Ok(Some(per_sale))
    }

    /// A menu item's price in force at `at` (its current price without a history).
    pub fn price_at(&self, id: MenuItemId, at: DateTime<Utc>) -> Option<Money> {
        match &self.history {
            Some(h) => h.menu_item_at(id, Some(at)).and_then(|v| v.price),
            None => self.menu_items.get(&id).and_then(|m| m.price),
        }
    }

    /// Checks that every recipe and menu item explodes in every period of the history from
    /// `from` on (a backdated edit could otherwise meet an older version of a sub-recipe that
    /// uses it).
    ///
    /// # Errors
    /// 422 on `field` naming what does not explode.
    pub(crate) fn check_history_from(
        &self,
        from: DateTime<Utc>,
        field: &str,
    ) -> Result<(), AppError> {
        let Some(h) = &self.history else {
            return Ok(());
        };
        for epoch in h.epoch_of(from)..h.epochs() {
            let at = h.epoch_start(epoch).or(Some(from));
            let recipes = h.recipes_at(at);
            for id in recipes.keys() {
                menu::explode(*id, &recipes, &self.units).map_err(|e| {
                    AppError::invalid(
                        field,
                        format!("with the versions in force from {from}: {e}"),
                    )
                })?;
            }
            self.usage_in_epoch(epoch)
                .map_err(|e| AppError::invalid(field, e.to_string()))?;
        }
        Ok(())
    }

    /// The menu items a change of `recipe` can touch: those whose recipe, in any version,
    /// uses it directly or through sub-recipes in any of their versions.
    pub(crate) fn menu_items_using(&self, recipe: RecipeId) -> BTreeSet<MenuItemId> {
        let mut parents: HashMap<RecipeId, HashSet<RecipeId>> = HashMap::new();
        let mut edges = |id: RecipeId, def: &RecipeDef| {
            for l in &def.lines {
                if let Component::Recipe(sub) = l.component {
                    parents.entry(sub).or_default().insert(id);
                }
            }
        };
        for (id, def) in &self.recipes {
            edges(*id, def);
        }
        if let Some(h) = &self.history {
            for (id, vs) in &h.recipes {
                for v in vs {
                    edges(*id, &v.value);
                }
            }
        }
        let mut using: HashSet<RecipeId> = HashSet::from([recipe]);
        let mut todo = vec![recipe];
        while let Some(r) = todo.pop() {
            for p in parents.get(&r).into_iter().flatten() {
                if using.insert(*p) {
                    todo.push(*p);
                }
            }
        }
        let mut out = BTreeSet::new();
        for m in self.menu_items.values() {
            let now = m.recipe_id.is_some_and(|r| using.contains(&r));
            let ever = self.history.as_ref().is_some_and(|h| {
                h.menu.get(&m.id).is_some_and(|vs| {
                    vs.iter()
                        .any(|v| v.value.recipe_id.is_some_and(|r| using.contains(&r)))
                })
            });
            if now || ever {
                out.insert(m.id);
            }
        }
        out
    }
}

/// What a correction did to past sales.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Redepletion {
    /// Sales whose depletion changed and was posted again.
    pub sales: usize,
    /// Live sale movements reversed (each by one compensating movement naming it).
    pub reversed: usize,
    /// Sale movements posted with the versions in force at each sale.
    pub posted: usize,
}

/// The movement that compensates `m` (same kind, opposite quantity, naming it), recorded
/// `now`. An increase opens a lot holding exactly the value `m` took out.
pub(crate) fn reversal_of(
    m: &MovementRow,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Option<MovementRow> {
    let quantity = m.quantity.checked_neg()?;
    let lot = (quantity.raw() > 0).then(|| LotSpec {
        code: None,
        expires_on: None,
        value: m.costing.value.checked_neg(),
    });
    Some(MovementRow {
        id: MovementId::new(),
        item_id: m.item_id,
        location_id: m.location_id,
        kind: m.kind,
        quantity,
        unit_cost: m.unit_cost,
        reason: Some("correction".into()),
        sale_id: m.sale_id,
        created_by: by,
        reverses: Some(m.id),
        occurred_at: m.occurred_at,
        recorded_at: now,
        lot,
        costing: Costing::default(),
    })
}

/// Re-depletes `sales` with `depleter` (a book with its history): for each item whose live
/// sale movements no longer sum to what the sale now depletes, reverses each of them and posts
/// the new depletion, occurring when the sale did and recorded `now`. A sale whose depletion
/// is unchanged writes nothing, so running it twice changes nothing the second time.
///
/// # Errors
/// 422 on an overflowing depletion; storage errors (409 when a concurrent correction reversed
/// a movement first).
pub(crate) async fn redeplete(
    tx: &mut dyn TenantTx,
    depleter: &Depleter<'_>,
    sales: &[SaleId],
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<Redepletion, AppError> {
    let mut done = Redepletion::default();
    let mut writes: Vec<MovementRow> = Vec::new();
    for id in sales {
        let Some(sale) = tx.get_sale(*id).await? else {
            continue;
        };
        // A cancelled kitchen order's sale was given back: it depletes nothing any more.
        if crate::kitchen::stock::is_given_back(tx, &sale).await? {
            continue;
        }
        let target = depleter.prepare_recorded(sale, by)?.movements;
        let live = tx.live_sale_movements(*id).await?;
        let mut live_by: BTreeMap<ItemId, (i64, Vec<&MovementRow>)> = BTreeMap::new();
        for m in &live {
            let slot = live_by.entry(m.item_id).or_default();
            slot.0 += m.quantity.raw();
            slot.1.push(m);
        }
        let target_by: BTreeMap<ItemId, &MovementRow> =
            target.iter().map(|m| (m.item_id, m)).collect();
        let items: BTreeSet<ItemId> = live_by.keys().chain(target_by.keys()).copied().collect();
        let mut changed = false;
        for item in items {
            let had = live_by.get(&item).map_or(0, |(q, _)| *q);
            let wants = target_by.get(&item).map_or(0, |m| m.quantity.raw());
            if had == wants {
                continue;
            }
            changed = true;
            for m in live_by
                .get(&item)
                .map(|(_, ms)| ms.as_slice())
                .unwrap_or(&[])
            {
                writes.push(
                    reversal_of(m, by, now)
                        .ok_or_else(|| AppError::invalid("quantity", "reversal overflows"))?,
                );
                done.reversed += 1;
            }
            if let Some(m) = target_by.get(&item) {
                writes.push(MovementRow {
                    recorded_at: now,
                    ..(*m).clone()
                });
                done.posted += 1;
            }
        }
        if changed {
            done.sales += 1;
        }
    }
    if !writes.is_empty() {
        crate::events::append_movements(tx, &writes).await?;
    }
    Ok(done)
}

/// Re-depletes the sales that occurred at or after `from` with a line sold as one of
/// `menu_items`, with `book` (loaded with its history, after the edit).
///
/// # Errors
/// As [`sales_since`] (on `effective_from`) and [`redeplete`].
pub(crate) async fn redeplete_since(
    tx: &mut dyn TenantTx,
    book: &Book,
    menu_items: &BTreeSet<MenuItemId>,
    from: DateTime<Utc>,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<Redepletion, AppError> {
    let sales = sales_since(tx, menu_items, from, "effective_from").await?;
    if sales.is_empty() {
        return Ok(Redepletion::default());
    }
    let aliases = tx.list_sale_aliases().await?;
    let depleter = Depleter::new(book)?.with_aliases(&aliases);
    redeplete(tx, &depleter, &sales, Some(by), now).await
}

/// The sales that occurred at or after `from` with a line sold as one of `menu_items`,
/// earliest first, without repeats.
///
/// # Errors
/// 422 on `field` beyond [`MAX_REDEPLETED_SALES`]; storage errors.
pub(crate) async fn sales_since(
    tx: &mut dyn TenantTx,
    menu_items: &BTreeSet<MenuItemId>,
    from: DateTime<Utc>,
    field: &str,
) -> Result<Vec<SaleId>, AppError> {
    let cap = u32::try_from(MAX_REDEPLETED_SALES + 1).unwrap_or(u32::MAX);
    let mut seen = BTreeSet::new();
    for m in menu_items {
        seen.extend(tx.sales_with_menu_item(*m, from, cap).await?);
        if seen.len() > MAX_REDEPLETED_SALES {
            return Err(too_many(field));
        }
    }
    Ok(seen.into_iter().collect())
}

/// The refusal of a correction that would re-deplete too many sales at once.
pub(crate) fn too_many(field: &str) -> AppError {
    AppError::invalid(
        field,
        format!(
            "would re-deplete more than {MAX_REDEPLETED_SALES} past sales in one step; \
             choose a later date"
        ),
    )
}

/// Checks an edit's `effective_from`: not in the future, and not before the date of the
/// current version (`latest`: the latest date any version takes effect).
///
/// # Errors
/// 422 on `effective_from`.
pub(crate) fn check_effective_from(
    at: DateTime<Utc>,
    latest: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if at > now {
        return Err(AppError::invalid(
            "effective_from",
            "must not be in the future: an edit takes effect now or from a past instant",
        ));
    }
    if let Some(l) = latest.filter(|l| at < *l) {
        return Err(AppError::invalid(
            "effective_from",
            format!(
                "must not be before {}, when the current version took effect \
                 (versions follow each other in time)",
                l.to_rfc3339()
            ),
        ));
    }
    Ok(())
}

/// One version of a recipe, costed at today's item costs with the sub-recipes in force when
/// it took effect.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RecipeVersion {
    /// The recipe's edit version this was (its `ETag` then).
    pub version: i64,
    /// From when it is (or was) in force; `null`: from the start.
    pub effective_from: Option<DateTime<Utc>>,
    /// Until when: the next version's `effective_from`; `null` while in force.
    pub effective_to: Option<DateTime<Utc>>,
    /// When it was written; absent for a version from before versions were kept.
    pub recorded_at: Option<DateTime<Utc>>,
    /// Batch yield.
    pub yield_quantity: Quantity,
    /// Yield unit.
    pub yield_unit: BaseUnit,
    /// Lines.
    pub lines: Vec<RecipeLineView>,
    /// Cost of one yield unit at today's item costs; absent beyond the amount range.
    pub cost_per_yield_unit: Option<Money>,
    /// Items with no cost (counted as zero).
    pub missing_costs: Vec<String>,
}

/// One version of a menu item, costed at today's item costs with the recipes in force when
/// it took effect.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MenuItemVersion {
    /// The menu item's edit version this was.
    pub version: i64,
    /// From when it is (or was) in force; `null`: from the start.
    pub effective_from: Option<DateTime<Utc>>,
    /// Until when: the next version's `effective_from`; `null` while in force.
    pub effective_to: Option<DateTime<Utc>>,
    /// When it was written; absent for a version from before versions were kept.
    pub recorded_at: Option<DateTime<Utc>>,
    /// Recipe.
    pub recipe_id: Option<RecipeId>,
    /// The recipe's name.
    pub recipe: Option<String>,
    /// Portion of the recipe's yield unit.
    pub portion: Quantity,
    /// Price.
    pub price: Option<Money>,
    /// Cost of one sale at today's item costs.
    pub cost: Option<Money>,
    /// Cost / price, percent with one decimal.
    pub food_cost_pct: Option<String>,
}

/// The history of one thing, newest version first.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Versions<T> {
    /// Versions, newest first.
    pub data: Vec<T>,
}

/// A recipe's versions, newest first.
pub type RecipeHistory = Versions<RecipeVersion>;
/// A menu item's versions, newest first.
pub type MenuItemHistory = Versions<MenuItemVersion>;

fn cost_of(
    book: &Book,
    recipes: &HashMap<RecipeId, RecipeDef>,
    recipe: RecipeId,
    portions: Quantity,
) -> (Option<Money>, Vec<String>) {
    let Ok(usage) = menu::explode(recipe, recipes, book.units()) else {
        return (None, Vec::new());
    };
    let mut u = Usage::new();
    if menu::accumulate(&mut u, &usage, portions).is_none() {
        return (None, Vec::new());
    }
    match book.cost(&u) {
        Ok((c, missing)) => (Some(c), missing),
        Err(_) => (None, Vec::new()),
    }
}

impl App {
    /// Every version of a recipe, newest first, each costed at today's item costs with the
    /// sub-recipes in force when it took effect (a retired recipe keeps its history).
    ///
    /// # Errors
    /// 403 without `recipes.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn recipe_history(
        &self,
        p: Principal,
        id: RecipeId,
    ) -> Result<RecipeHistory, AppError> {
        p.require(Permission::RecipesRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                tx.get_recipe(id)
                    .await?
                    .ok_or(AppError::NotFound("recipe"))?;
                let book = Book::load_with_history(tx).await?;
                let h = book.history.clone().unwrap_or_default();
                let versions = h.recipes.get(&id).cloned().unwrap_or_default();
                let mut data = Vec::with_capacity(versions.len());
                for (i, v) in versions.iter().enumerate() {
                    let mut recipes = h.recipes_at(v.from);
                    recipes.insert(id, v.value.clone());
                    let (cost, missing) = cost_of(&book, &recipes, id, Quantity::from_raw(1000));
                    data.push(RecipeVersion {
                        version: v.version,
                        effective_from: v.from,
                        effective_to: versions.get(i + 1).and_then(|n| n.from),
                        recorded_at: v.recorded,
                        yield_quantity: v.value.yield_quantity,
                        yield_unit: v.value.yield_unit,
                        lines: book.line_views(&v.value.lines),
                        cost_per_yield_unit: cost,
                        missing_costs: missing,
                    });
                }
                data.reverse();
                Ok(Versions { data })
            })
        })
        .await
    }

    /// Every version of a menu item, newest first, each costed at today's item costs with
    /// the recipes in force when it took effect.
    ///
    /// # Errors
    /// 403 without `recipes.read`; 404.
    #[tracing::instrument(skip_all, err(level = "info"), fields(tenant_id = %p.tenant_id))]
    pub async fn menu_item_history(
        &self,
        p: Principal,
        id: MenuItemId,
    ) -> Result<MenuItemHistory, AppError> {
        p.require(Permission::RecipesRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let book = Book::load_with_history(tx).await?;
                if !book.menu_items.contains_key(&id) {
                    return Err(AppError::NotFound("menu item"));
                }
                let h = book.history.clone().unwrap_or_default();
                let versions = h.menu.get(&id).cloned().unwrap_or_default();
                let mut data = Vec::with_capacity(versions.len());
                for (i, v) in versions.iter().enumerate() {
                    let recipes = h.recipes_at(v.from);
                    let (cost, _) = match v.value.recipe_id {
                        Some(r) => cost_of(&book, &recipes, r, v.value.portion),
                        None => (None, Vec::new()),
                    };
                    data.push(MenuItemVersion {
                        version: v.version,
                        effective_from: v.from,
                        effective_to: versions.get(i + 1).and_then(|n| n.from),
                        recorded_at: v.recorded,
                        recipe_id: v.value.recipe_id,
                        recipe: v.value.recipe_id.map(|r| book.recipe_name(r)),
                        portion: v.value.portion,
                        price: v.value.price,
                        cost,
                        food_cost_pct: cost
                            .zip(v.value.price)
                            .and_then(|(c, p)| food_cost_pct(c, p)),
                    });
                }
                data.reverse();
                Ok(Versions { data })
            })
        })
        .await
    }
}

/// What mapping a POS name late did to the past.
#[derive(Clone, Debug, Default)]
pub(crate) struct LateMapping {
    /// Lines mapped.
    pub lines: i64,
    /// Sales they belong to.
    pub sales: i64,
    /// The re-depletion of those sales.
    pub redepletion: Redepletion,
}

/// Maps every recorded line sold under a name whose key is `key` and that has no menu item
/// to `menu_item` (once per line: the store keys each late mapping by its line), and
/// re-depletes their sales with the versions in force when each happened.
///
/// # Errors
/// 422 on `name` beyond [`MAX_REDEPLETED_SALES`] sales; storage errors.
pub(crate) async fn map_late(
    tx: &mut dyn TenantTx,
    key: &str,
    menu_item: MenuItemId,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<LateMapping, AppError> {
    let names: Vec<String> = tx
        .unmapped_sales(larder_store::LocationScope::All)
        .await?
        .into_iter()
        .filter(|u| crate::sales::name_key(&u.item_name) == key)
        .map(|u| u.item_name)
        .collect();
    let mut sales: BTreeMap<SaleId, i64> = BTreeMap::new();
    for n in &names {
        for (s, lines) in tx.map_unmapped_lines(n, menu_item, key, now).await? {
            *sales.entry(s).or_default() += lines;
        }
        if sales.len() > MAX_REDEPLETED_SALES {
            return Err(too_many("name"));
        }
    }
    let mut out = LateMapping {
        lines: sales.values().sum(),
        sales: i64::try_from(sales.len()).unwrap_or(i64::MAX),
        redepletion: Redepletion::default(),
    };
    if sales.is_empty() {
        return Ok(out);
    }
    let book = Book::load_with_history(tx).await?;
    let aliases = tx.list_sale_aliases().await?;
    let depleter = Depleter::new(&book)?.with_aliases(&aliases);
    let ids: Vec<SaleId> = sales.into_keys().collect();
    out.redepletion = redeplete(tx, &depleter, &ids, Some(by), now).await?;
    Ok(out)
}
