//! The demo kitchen's stock operations (issue 9, item 10), replayed day by day with its sales
//! and purchasing (crate::demo_replay) through the same use cases a kitchen's staff use:
//!
//! - **Storage areas and prep items** from the book's `[[storage_area]]` and `[[prep]]`
//!   (demo/takeaway/recipes.toml): the areas in walking order with their items in shelf order;
//!   each prep recipe makes an item of its name (production settings, ADR 022) with a par level.
//! - **Counts** (ADR 019), recorded as counted on paper before the 06:00 step
//!   ([`App::record_past_count`]): a **full count** of every area on the first day of each
//!   month, and a **cycle count** of the meat, fish and dairy every Monday otherwise, lines
//!   counted from 05:00 a minute apart, approved at 05:50.
//! - **What a count finds** is book stock less an unrecorded loss proportional to what the
//!   item was used for since its last count (sales and batches): the over-portioning,
//!   trimming, tasting and spillage that recipes do not explain. The loss rate is drawn per line
//!   from the ranges in [`LOSS`] (an ASSUMPTION: food-service guidance commonly puts a
//!   well-run kitchen's AvT variance at 1-3 % of usage, fresh produce worst), and one line in
//!   150 is a miscount of 12 % of book stock. Counts are whole base units (a scale reads grams),
//!   never below zero.
//! - **Waste** (ADR 020): every morning each lot that expired before today with stock left is
//!   thrown away, as `expired` (bought) or `overproduction` (prep made and not used); two
//!   portions of pilau rice are `dropped` each Saturday evening and a staff meal of plain rice
//!   is taken each Sunday afternoon (by recipe: their ingredients leave stock).
//! - **Production** (ADR 022): at 09:00 the prep list's quantity of each prep recipe; at 17:00
//!   another batch of whatever the day's sales would otherwise run out of (the replay knows the
//!   day's sales); nothing on a day without sales (the kitchen is closed, or the file has a
//!   gap). The actual yield is the planned one less a loss drawn from -1 % to +4 %
//!   (evaporation and what stays in the pot; an ASSUMPTION), whole grams.
//!
//! Every draw comes from a hash of the item's name and the day, so a reload makes the same
//! kitchen. A resumed replay skips what the day it resumes at already recorded (counts, batches
//! and waste found by their instants).

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use larder_app::catalog::{ItemCommand, ParLevelCommand};
use larder_app::inventory::StockQuery;
use larder_app::inventory::counts::{
    CountLineCommand, PastCountCommand, PastCountLine, StartCountCommand, StockCountQuery,
};
use larder_app::inventory::production::{
    PrepListQuery, ProductionBatchQuery, ProductionCommand, ProductionSettingsCommand,
};
use larder_app::inventory::valuation::LotQuery;
use larder_app::inventory::waste::{WasteCommand, WasteQuery};
use larder_app::tenancy::storage_areas::{ShelfCommand, StorageAreaCommand};
use larder_app::{App, Principal};
use larder_core::inventory::WasteReason;
use larder_core::inventory::counts::CountScope;
use larder_core::{ItemId, Label, LocationId, Quantity, RecipeId, StorageAreaId};
use serde::Deserialize;

use crate::demo::{failed, text};

/// A `[[storage_area]]` of the book: an area and the item categories it holds.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaSpec {
    name: String,
    categories: Vec<String>,
}

/// A `[[prep]]` of the book: a recipe the kitchen makes into stock.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrepSpec {
    /// The recipe, by name; the item it makes has the same name.
    recipe: String,
    /// The item's category.
    category: String,
    /// Days a batch keeps.
    shelf_life_days: i32,
    /// Par level at the kitchen, in the recipe's yield unit.
    par: Quantity,
    /// The usual batch, in the yield unit (absent: the recipe's yield).
    #[serde(default)]
    batch: Option<Quantity>,
}

/// The parts of the book this module reads (the rest is ignored here).
#[derive(Deserialize)]
struct StockBook {
    item: Vec<BookItem>,
    #[serde(default)]
    storage_area: Vec<AreaSpec>,
    #[serde(default)]
    prep: Vec<PrepSpec>,
}

#[derive(Deserialize)]
struct BookItem {
    name: String,
    category: String,
}

/// Loss rates of what an item was used for since its last count, in thousandths of a percent
/// (`mean`, `spread`: drawn uniformly from `mean - spread` to `mean + spread`), by category.
/// An ASSUMPTION (see the module's doc); categories not named take the last row.
pub const LOSS: [(&str, i64, i64); 7] = [
    ("Vegetables", 3_000, 2_500),
    ("Meat and fish", 1_500, 1_200),
    ("Dairy", 1_500, 1_200),
    ("Prep", 2_000, 1_500),
    ("Frozen", 500, 500),
    ("Drinks", 200, 200),
    ("", 800, 800),
];

/// The categories counted every week.
const CYCLE_CATEGORIES: [&str; 2] = ["Meat and fish", "Dairy"];

/// What the replay's stock operations did.
#[derive(Clone, Copy, Debug, Default)]
pub struct StockDone {
    /// Counts approved (full and cycle).
    pub counts: usize,
    /// Waste entries.
    pub waste: usize,
    /// Production batches.
    pub batches: usize,
}

/// One prep recipe at the kitchen.
#[derive(Clone, Debug)]
struct Prep {
    recipe_id: RecipeId,
    item_id: ItemId,
}

/// The demo kitchen's stock set-up and what its replay has done so far.
pub struct Kitchen {
    location: LocationId,
    /// Areas in walking order, each with its items in shelf order.
    areas: Vec<(StorageAreaId, Vec<ItemId>)>,
    /// Every book item's name and category.
    items: HashMap<ItemId, (String, String)>,
    prep: Vec<Prep>,
    cycle: Vec<ItemId>,
    recipes: HashMap<String, RecipeId>,
    /// Used since each item's last count, base-unit thousandths (sales and batches).
    used: HashMap<ItemId, i64>,
    /// The latest instant a resumed replay found of each kind (count, batch, waste).
    last_count: Option<DateTime<Utc>>,
    last_batch: Option<DateTime<Utc>>,
    last_waste: Option<DateTime<Utc>>,
    /// What the replay did.
    pub done: StockDone,
}

/// A draw in `0..n` from the hash of `seed` (FNV-1a 64, finished with splitmix64's mixer).
fn draw(seed: &str, n: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    h % n.max(1)
}

/// `q` (thousandths) rounded half up to whole base units.
fn whole(q: i128) -> i64 {
    let r = (q + 500).div_euclid(1000) * 1000;
    i64::try_from(r).unwrap_or(i64::MAX)
}

/// What a counter finds of an item with `book` on hand that was used `used` since its last
/// count: `book - rate x used` (the rate drawn from [`LOSS`] for `category`), or, one line in
/// 150, a miscount 12 % short of book; whole base units, never below zero.
pub fn counted(name: &str, category: &str, day: NaiveDate, book: i64, used: i64) -> i64 {
    let seed = format!("{name}|{day}");
    let book = i128::from(book.max(0));
    if draw(&format!("miscount|{seed}"), 150) == 0 {
        return whole(book * 88 / 100).max(0);
    }
    let (_, mean, spread) = LOSS
        .iter()
        .find(|(c, _, _)| *c == category)
        .or_else(|| LOSS.last())
        .copied()
        .unwrap_or(("", 0, 0));
    let span = u64::try_from(2 * spread + 1).unwrap_or(1);
    let rate = mean - spread + i64::try_from(draw(&seed, span)).unwrap_or(0);
    let loss = i128::from(used.max(0)) * i128::from(rate) / 100_000;
    whole(book - loss).max(0)
}

/// The actual yield of a batch planned at `planned` (thousandths): less a loss from -1 % to
/// +4 % drawn from `seed`, whole base units, at least one.
fn actual_yield(seed: &str, planned: i64) -> i64 {
    let loss_milli_pct = i128::from(draw(seed, 5_001)) - 1_000;
    let q = i128::from(planned) * (100_000 - loss_milli_pct) / 100_000;
    whole(q).max(1000)
}

/// The tenant's recipes by name (retired ones left out).
async fn recipes_by_name(app: &App, p: Principal) -> anyhow::Result<HashMap<String, RecipeId>> {
    let mut out = HashMap::new();
    let mut cursor = None;
    loop {
        let page = app
            .list_recipes(p, Some(larder_app::page::MAX_LIMIT), cursor)
            .await
            .map_err(failed)?;
        out.extend(page.data.into_iter().map(|r| (r.name, r.id)));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Sets up the book's storage areas and prep items at `location` (each step skipped when
/// done already) and reads what a resumed replay already recorded.
///
/// # Errors
/// The use cases' errors; a `[[prep]]` naming no recipe.
pub async fn set_up(
    app: &App,
    p: Principal,
    location: LocationId,
    book_toml: &str,
) -> anyhow::Result<Kitchen> {
    let book: StockBook = toml::from_str(book_toml).context("the recipe book")?;
    let recipes = recipes_by_name(app, p).await?;
    let mut by_name = crate::demo::items_by_name(app, p).await?;

    // Prep items and their production settings and par levels.
    let made: Vec<RecipeId> = app
        .list_production_settings(p)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|s| s.recipe_id)
        .collect();
    let mut prep = Vec::new();
    for spec in &book.prep {
        let recipe_id = *recipes
            .get(&spec.recipe)
            .with_context(|| format!("[[prep]] names no recipe {:?}", spec.recipe))?;
        let item_id = match by_name.get(&spec.recipe) {
            Some((id, _, _)) => *id,
            None => {
                let yield_unit = app
                    .get_recipe(p, recipe_id)
                    .await
                    .map_err(failed)?
                    .yield_unit;
                let item = app
                    .create_item(
                        p,
                        ItemCommand {
                            name: text(&spec.recipe)?,
                            sku: None,
                            category: Some(text(&spec.category)?),
                            base_unit: yield_unit,
                            pack_sizes: Vec::new(),
                            barcode: None,
                            unit_cost: None,
                            density: None,
                            density_source: None,
                            entry_step: None,
                            entry_rounding: None,
                        },
                        None,
                    )
                    .await
                    .map_err(failed)?
                    .value;
                by_name.insert(
                    spec.recipe.clone(),
                    (item.id, yield_unit, larder_core::Money::ZERO),
                );
                item.id
            }
        };
        if !made.contains(&recipe_id) {
            app.put_production_settings(
                p,
                recipe_id,
                ProductionSettingsCommand {
                    item_id,
                    shelf_life_days: Some(spec.shelf_life_days),
                    default_batch: spec.batch,
                },
                None,
            )
            .await
            .map_err(failed)
            .with_context(|| format!("making {} into stock", spec.recipe))?;
            app.set_par_level(
                p,
                item_id,
                location,
                ParLevelCommand {
                    par_level: Some(spec.par),
                    reorder_point: None,
                },
            )
            .await
            .map_err(failed)?;
        }
        prep.push(Prep { recipe_id, item_id });
    }

    // Every item's category: the book's, and the prep items'.
    let mut category: Vec<(String, String)> = book
        .item
        .iter()
        .map(|i| (i.name.clone(), i.category.clone()))
        .collect();
    category.extend(
        book.prep
            .iter()
            .map(|s| (s.recipe.clone(), s.category.clone())),
    );
    let items: HashMap<ItemId, (String, String)> = category
        .iter()
        .filter_map(|(n, c)| {
            by_name
                .get(n)
                .map(|(id, _, _)| (*id, (n.clone(), c.clone())))
        })
        .collect();

    // Storage areas in walking order, their shelves in book order.
    let existing = app.list_storage_areas(p, location).await.map_err(failed)?;
    let mut areas = Vec::new();
    for spec in &book.storage_area {
        let shelf: Vec<ItemId> = category
            .iter()
            .filter(|(_, c)| spec.categories.contains(c))
            .filter_map(|(n, _)| by_name.get(n).map(|(id, _, _)| *id))
            .collect();
        let id = match existing.iter().find(|a| a.name == spec.name) {
            Some(a) => a.id,
            None => {
                let area = app
                    .create_storage_area(
                        p,
                        location,
                        StorageAreaCommand {
                            name: text::<Label>(&spec.name)?,
                        },
                        None,
                    )
                    .await
                    .map_err(failed)?
                    .value;
                app.set_area_items(
                    p,
                    area.id,
                    ShelfCommand {
                        item_ids: shelf.clone(),
                    },
                )
                .await
                .map_err(failed)?;
                area.id
            }
        };
        areas.push((id, shelf));
    }
    let cycle = category
        .iter()
        .filter(|(_, c)| CYCLE_CATEGORIES.contains(&c.as_str()))
        .filter_map(|(n, _)| by_name.get(n).map(|(id, _, _)| *id))
        .collect();

    // What a resumed replay recorded last.
    let last_count = app
        .list_stock_counts(
            p,
            StockCountQuery {
                location_id: Some(location),
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .map_err(failed)?
        .data
        .first()
        .map(|c| c.started_at);
    let last_batch = app
        .list_production_batches(
            p,
            ProductionBatchQuery {
                location_id: Some(location),
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .map_err(failed)?
        .data
        .first()
        .map(|b| b.produced_at);
    let last_waste = app
        .list_waste_entries(
            p,
            WasteQuery {
                location_id: Some(location),
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .map_err(failed)?
        .data
        .first()
        .map(|w| w.occurred_at);
    Ok(Kitchen {
        location,
        areas,
        items,
        prep,
        cycle,
        recipes,
        used: HashMap::new(),
        last_count,
        last_batch,
        last_waste,
        done: StockDone::default(),
    })
}

/// Whether an operation at `at` was recorded already (a resumed replay).
fn recorded(last: Option<DateTime<Utc>>, at: DateTime<Utc>) -> bool {
    last.is_some_and(|l| at <= l)
}

impl Kitchen {
    /// Adds what `usage` (when, item, quantity) took to each item's use since its last count.
    pub fn used(&mut self, usage: &[(DateTime<Utc>, ItemId, Quantity)]) {
        for (_, item, q) in usage {
            *self.used.entry(*item).or_default() += q.raw();
        }
    }

    /// The kitchen's book stock now, by item (the replay records in time order, so now is the
    /// instant it has reached).
    pub async fn on_hand(&self, app: &App, p: Principal) -> anyhow::Result<HashMap<ItemId, i64>> {
        let mut out = HashMap::new();
        let mut cursor = None;
        loop {
            let page = app
                .list_stock(
                    p,
                    StockQuery {
                        location_id: Some(self.location),
                        item_id: None,
                        limit: Some(larder_app::page::MAX_LIMIT),
                        cursor,
                    },
                )
                .await
                .map_err(failed)?;
            out.extend(page.data.iter().map(|l| (l.item_id, l.on_hand.raw())));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// The count due on `day`, if any (the month's full count on its first day, else a cycle
    /// count on Mondays), recorded as counted from 05:00 local (`day_start` + 1 h) and approved
    /// at 05:50.
    ///
    /// # Errors
    /// The use cases' errors.
    pub async fn count(
        &mut self,
        app: &App,
        p: Principal,
        day: NaiveDate,
        day_start: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let full = day.day() == 1;
        if !full && day.weekday() != Weekday::Mon {
            return Ok(());
        }
        let started_at = day_start + Duration::hours(1);
        if recorded(self.last_count, started_at) {
            return Ok(());
        }
        let book = self.on_hand(app, p).await?;
        let rows: Vec<(Option<StorageAreaId>, ItemId)> = if full {
            self.areas
                .iter()
                .flat_map(|(a, items)| items.iter().map(move |i| (Some(*a), *i)))
                .collect()
        } else {
            // A cycle count's sheet keeps each item in its area.
            self.cycle
                .iter()
                .map(|i| {
                    let area = self
                        .areas
                        .iter()
                        .find(|(_, items)| items.contains(i))
                        .map(|(a, _)| *a);
                    (area, *i)
                })
                .collect()
        };
        if rows.is_empty() {
            return Ok(());
        }
        let mut lines = Vec::with_capacity(rows.len());
        for (n, (area, item)) in rows.iter().enumerate() {
            let (name, category) = self.items.get(item).cloned().unwrap_or_default();
            let used = self.used.remove(item).unwrap_or(0);
            let found = counted(
                &name,
                &category,
                day,
                book.get(item).copied().unwrap_or(0),
                used,
            );
            let minute = i64::try_from(n).unwrap_or(0).min(45);
            lines.push(PastCountLine {
                item_id: *item,
                line: CountLineCommand {
                    storage_area_id: *area,
                    amount: None,
                    quantity: Some(Quantity::from_raw(found)),
                    counted_at: Some(started_at + Duration::minutes(minute)),
                },
            });
        }
        let note = if full {
            format!("Monthly full count {}", day.format("%B %Y"))
        } else {
            format!("Weekly cycle count: meat, fish and dairy, {day}")
        };
        app.record_past_count(
            p,
            PastCountCommand {
                count: StartCountCommand {
                    location_id: self.location,
                    scope: if full {
                        CountScope::Full
                    } else {
                        CountScope::Cycle
                    },
                    storage_area_id: None,
                    item_ids: (!full).then(|| self.cycle.clone()),
                    blind: full,
                    threshold_percent: None,
                    threshold_value: None,
                    note: Some(text(&note)?),
                },
                started_at,
                lines,
                approved_at: started_at + Duration::minutes(50),
                zero_uncounted: false,
            },
            None,
        )
        .await
        .map_err(failed)
        .with_context(|| format!("the count of {day}"))?;
        self.done.counts += 1;
        Ok(())
    }

    /// Throws away at `at` each lot that expired before `day` with stock left; prep as
    /// over-production.
    ///
    /// # Errors
    /// The use cases' errors.
    pub async fn waste_expired(
        &mut self,
        app: &App,
        p: Principal,
        day: NaiveDate,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        if recorded(self.last_waste, at) {
            return Ok(());
        }
        let Some(yesterday) = day.pred_opt() else {
            return Ok(());
        };
        let mut lots = Vec::new();
        let mut cursor = None;
        loop {
            let page = app
                .list_lots(
                    p,
                    LotQuery {
                        location_id: Some(self.location),
                        open: Some(true),
                        expires_by: Some(yesterday),
                        limit: Some(larder_app::page::MAX_LIMIT),
                        cursor,
                        ..Default::default()
                    },
                )
                .await
                .map_err(failed)?;
            lots.extend(page.data);
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        // One entry per item: FEFO takes its expired lots first.
        let mut by_item: BTreeMap<ItemId, i64> = BTreeMap::new();
        for lot in lots.iter().filter(|l| l.remaining.raw() > 0) {
            *by_item.entry(lot.item_id).or_default() += lot.remaining.raw();
        }
        for (item, q) in by_item {
            let prep = self.prep.iter().any(|r| r.item_id == item);
            self.waste(
                app,
                p,
                WasteCommand {
                    location_id: self.location,
                    reason: if prep {
                        WasteReason::Overproduction
                    } else {
                        WasteReason::Expired
                    },
                    note: Some(text(if prep {
                        "Past its use-by: made and not used"
                    } else {
                        "Past its date at the morning check"
                    })?),
                    occurred_at: Some(at),
                    item_id: Some(item),
                    recipe_id: None,
                    quantity: Some(Quantity::from_raw(q)),
                    amount: None,
                },
            )
            .await?;
        }
        Ok(())
    }

    /// The week's accidents: two portions of pilau rice dropped on Saturday at 20:30, a staff
    /// meal of plain rice on Sunday at 16:00 (by recipe, `day_start` 04:00 local).
    ///
    /// # Errors
    /// The use cases' errors.
    pub async fn weekly_waste(
        &mut self,
        app: &App,
        p: Principal,
        day: NaiveDate,
        day_start: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let (recipe, grams, reason, hours, note) = match day.weekday() {
            Weekday::Sat => (
                "Pilau rice (cooked)",
                600,
                WasteReason::Dropped,
                16,
                "Two portions dropped at the pass",
            ),
            Weekday::Sun => (
                "Plain rice (cooked)",
                1200,
                WasteReason::StaffMeal,
                12,
                "Staff meal before service",
            ),
            _ => return Ok(()),
        };
        let at = day_start + Duration::hours(hours) + Duration::minutes(30);
        let Some(recipe_id) = self.recipes.get(recipe).copied() else {
            return Ok(());
        };
        if recorded(self.last_waste, at) {
            return Ok(());
        }
        self.waste(
            app,
            p,
            WasteCommand {
                location_id: self.location,
                reason,
                note: Some(text(note)?),
                occurred_at: Some(at),
                item_id: None,
                recipe_id: Some(recipe_id),
                quantity: Some(Quantity::from_raw(grams * 1000)),
                amount: None,
            },
        )
        .await
    }

    async fn waste(&mut self, app: &App, p: Principal, cmd: WasteCommand) -> anyhow::Result<()> {
        app.post_waste(p, cmd, None)
            .await
            .map_err(failed)
            .context("posting waste")?;
        self.done.waste += 1;
        Ok(())
    }

    /// The day's production: at 09:00 local (`day_start` + 5 h) the prep list's batches; at
    /// 17:00 another batch of each prep item the day's sales (`day_usage`) would run short of.
    ///
    /// # Errors
    /// The use cases' errors.
    pub async fn produce(
        &mut self,
        app: &App,
        p: Principal,
        day: NaiveDate,
        day_start: DateTime<Utc>,
        day_usage: &HashMap<ItemId, i64>,
    ) -> anyhow::Result<()> {
        // A day without sales (the sales file has gaps) the kitchen is closed: nothing made.
        if self.prep.is_empty() || day_usage.is_empty() {
            return Ok(());
        }
        let morning = day_start + Duration::hours(5);
        let evening = day_start + Duration::hours(13);
        let list = app
            .prep_list(
                p,
                PrepListQuery {
                    location_id: self.location,
                    date: Some(day),
                },
            )
            .await
            .map_err(failed)?;
        for line in &list.lines {
            let Some(prep) = self.prep.iter().find(|r| r.recipe_id == line.recipe_id) else {
                continue;
            };
            let prep = prep.clone();
            let mut on_hand = line.on_hand.raw();
            if line.to_make.raw() > 0 {
                on_hand += self
                    .batch(app, p, &prep, &line.item_name, day, morning, line.to_make)
                    .await?;
            }
            let need = day_usage.get(&prep.item_id).copied().unwrap_or(0);
            if need > on_hand {
                let batch = line.batch_size.raw().max(1);
                let batches = (need - on_hand + batch - 1) / batch;
                let planned = Quantity::from_raw(batches * batch);
                self.batch(app, p, &prep, &line.item_name, day, evening, planned)
                    .await?;
            }
        }
        Ok(())
    }

    /// One batch of `planned`, made at `at`: returns what it made (thousandths).
    #[allow(clippy::too_many_arguments)]
    async fn batch(
        &mut self,
        app: &App,
        p: Principal,
        prep: &Prep,
        name: &str,
        day: NaiveDate,
        at: DateTime<Utc>,
        planned: Quantity,
    ) -> anyhow::Result<i64> {
        if recorded(self.last_batch, at) {
            return Ok(0);
        }
        let actual = actual_yield(&format!("{name}|{at}"), planned.raw());
        let made = app
            .produce(
                p,
                ProductionCommand {
                    location_id: self.location,
                    recipe_id: prep.recipe_id,
                    planned_quantity: Some(planned),
                    batches: None,
                    actual_quantity: Quantity::from_raw(actual),
                    produced_at: Some(at),
                    note: None,
                },
                None,
            )
            .await
            .map_err(failed)
            .with_context(|| format!("making {name} on {day}"))?
            .value;
        for input in &made.inputs {
            *self.used.entry(input.item_id).or_default() += input.quantity.raw();
        }
        self.done.batches += 1;
        Ok(actual)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_count_finds_book_stock_less_a_share_of_what_was_used() {
        // Onions: 20 kg on the books, 100 kg used since the last count, 0.5-5.5 % lost.
        let mut seen = std::collections::BTreeSet::new();
        for d in 1..=28 {
            let found = counted(
                "Onions",
                "Vegetables",
                day(&format!("2017-02-{d:02}")),
                20_000_000,
                100_000_000,
            );
            assert_eq!(found % 1000, 0, "whole grams");
            if found != 17_600_000 {
                assert!(
                    (14_500_000..=19_500_000).contains(&found),
                    "{found}: 20 kg less 0.5-5.5 % of 100 kg"
                );
            }
            seen.insert(found);
        }
        assert!(seen.len() > 10, "the loss varies from count to count");
        // The same day and item count the same on every load.
        assert_eq!(
            counted(
                "Onions",
                "Vegetables",
                day("2017-02-03"),
                20_000_000,
                100_000_000
            ),
            counted(
                "Onions",
                "Vegetables",
                day("2017-02-03"),
                20_000_000,
                100_000_000
            ),
        );
    }

    #[test]
    fn a_count_is_never_below_zero_and_nothing_on_the_books_counts_nothing() {
        for d in 1..=28 {
            let at = day(&format!("2018-03-{d:02}"));
            assert_eq!(counted("Paneer", "Dairy", at, -4_000, 9_000_000), 0);
            assert_eq!(counted("Paneer", "Dairy", at, 100_000, 90_000_000), 0);
        }
    }

    #[test]
    fn a_batch_yields_within_one_percent_over_and_four_under() {
        for n in 0..200 {
            let y = actual_yield(&format!("Base gravy|{n}"), 10_000_000);
            assert!((9_600_000..=10_100_000).contains(&y), "{y}");
            assert_eq!(y % 1000, 0);
        }
    }
}
