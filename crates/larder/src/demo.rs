//! `larder demo`: the London takeaway's real sales, embedded in the binary, loaded into a demo
//! tenant through the ordinary use cases; then the login is printed and the server started.
//!
//! The recipe book (`demo/takeaway/recipes.toml`: items, sub-recipes, one recipe per menu
//! item) is created item by item, recipe by recipe; every real sale is imported as
//! `larder import sales` imports a POS export (streamed, in chunks); then the demo keeps stock
//! realistic as a kitchen would: an opening count before the first sale and a delivery at the
//! start of every business week that brings each ingredient back up to its par level in whole
//! packs ([`larder_core::inventory::order_up_to_par`]). Par levels are derived, as the book's
//! header documents: 1.5 x an item's largest weekly theoretical usage, rounded up to whole
//! packs; the reorder point is half that usage (ADR 003).
//!
//! The deliveries are posted after the sales, backdated to each week's start: the ledger keeps
//! `occurred_at` apart from `recorded_at`, so on hand at any instant is what it would have
//! been. Each delivery's size comes from the weekly usage report: the stock at a week's start
//! is the opening plus earlier deliveries minus earlier weeks' usage.
//!
//! Every step can be repeated: the import skips tickets it has, par levels are set (not
//! added), and the opening and deliveries are one idempotent request. So `larder demo` after
//! a kill or crash finishes the job, and after a complete load does nothing.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use larder_app::auth::RegisterCommand;
use larder_app::catalog::{ItemCommand, ItemQuery, ParLevelCommand};
use larder_app::idempotency::IdempotencyKey;
use larder_app::inventory::{AdjustmentCommand, MovementQuery};
use larder_app::menu::{MenuItemCommand, RecipeCommand, RecipeLineCommand};
use larder_app::sales::{ImportMode, ImportReport, ImportRequest, SalesMapping, name_key};
use larder_app::tenancy::LocationCommand;
use larder_app::{App, AppError, Principal};
use larder_core::auth::Role;
use larder_core::inventory::{MovementKind, order_up_to_par};
use larder_core::tenancy::LocationKind;
use larder_core::{BaseUnit, ItemId, Label, LocationId, Money, Name, Note, Quantity, Unit};
use larder_store::PackSize;
use serde::Deserialize;

use crate::{Config, build_app, open_store};

/// The real order lines (see `demo/takeaway/SOURCE.md`).
pub const ORDERS_CSV: &str = include_str!("../../../demo/takeaway/restaurant-1-orders.csv");
/// The authored recipe book.
pub const RECIPES_TOML: &str = include_str!("../../../demo/takeaway/recipes.toml");
/// The takeaway's price list.
pub const PRICES_CSV: &str = include_str!("../../../demo/takeaway/restaurant-1-products-price.csv");

/// The demo tenant's login (printed by `larder demo`; a local demo, not a secret).
pub const DEMO_EMAIL: &str = "demo@larder.test";
/// The demo user's password.
pub const DEMO_PASSWORD: &str = "takeaway-demo-2019";
/// The source the demo's sales are recorded under: the same as `larder import sales`' default,
/// so importing the takeaway's file again into the demo tenant skips every ticket.
pub const DEMO_SALES_SOURCE: &str = "csv";
/// The demo tenant's one location.
pub const DEMO_LOCATION: &str = "Takeaway kitchen";
/// The demo tenant's name.
pub const DEMO_TENANT: &str = "London Takeaway (demo, real sales)";
/// The idempotency key of the demo's opening count and weekly deliveries.
const STOCK_KEY: &str = "demo-opening-and-weekly-deliveries";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemSpec {
    name: Name,
    base_unit: BaseUnit,
    unit_cost: Money,
    category: Label,
    pack: PackSize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipeSpec {
    name: Name,
    #[serde(rename = "yield")]
    yield_quantity: Quantity,
    yield_unit: BaseUnit,
    notes: Option<Note>,
    lines: Vec<(String, Quantity, Unit)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MenuSpec {
    name: Name,
    category: Label,
    lines: Vec<(String, Quantity, Unit)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BookFile {
    item: Vec<ItemSpec>,
    recipe: Vec<RecipeSpec>,
    menu_item: Vec<MenuSpec>,
}

/// What loading a recipe book created.
#[derive(Debug, Default, Clone)]
pub struct BookLoaded {
    /// Items created.
    pub items: usize,
    /// Recipes created (sub-recipes and one per menu item).
    pub recipes: usize,
    /// Menu items created.
    pub menu_items: usize,
}

/// What the demo loaded.
#[derive(Debug, Default, Clone)]
pub struct DemoReport {
    /// False when the demo was complete already and nothing was written.
    pub loaded: bool,
    /// The book (zero when it was there already).
    pub book: BookLoaded,
    /// The sales import (of this run: a resumed import counts only what it wrote).
    pub sales: ImportReport,
    /// Opening-count movements posted.
    pub openings: usize,
    /// Delivery (receipt) movements posted.
    pub receipts: usize,
}

pub(crate) fn failed(e: AppError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Reads `Item Name,Product Price` (with or without a BOM) into prices by name.
fn price_list(csv_text: &str) -> anyhow::Result<HashMap<String, Money>> {
    let mut r = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let mut out = HashMap::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.with_context(|| format!("price list line {line}"))?;
        let name = rec.get(0).unwrap_or("").trim().to_owned();
        let price = Money::parse(rec.get(1).unwrap_or(""))
            .with_context(|| format!("price list line {line}"))?;
        out.insert(name_key(&name), price);
    }
    Ok(out)
}

fn line_commands(
    context: &str,
    lines: &[(String, Quantity, Unit)],
    items: &HashMap<String, ItemId>,
    recipes: &HashMap<String, larder_core::RecipeId>,
) -> anyhow::Result<Vec<RecipeLineCommand>> {
    lines
        .iter()
        .map(|(name, quantity, unit)| {
            let (item_id, recipe_id) = match (items.get(name), recipes.get(name)) {
                (Some(i), None) => (Some(*i), None),
                (None, Some(r)) => (None, Some(*r)),
                (Some(_), Some(_)) => {
                    anyhow::bail!("{context}: '{name}' is both an item and a recipe")
                }
                (None, None) => {
                    anyhow::bail!("{context}: '{name}' is neither an item nor an earlier recipe")
                }
            };
            Ok(RecipeLineCommand {
                item_id,
                recipe_id,
                quantity: *quantity,
                unit: *unit,
            })
        })
        .collect()
}

/// Loads a recipe book (TOML, as `demo/takeaway/recipes.toml`) into the principal's tenant:
/// items, recipes in file order (a recipe may use only items and earlier recipes), and one
/// recipe and menu item per `[[menu_item]]`, priced from `prices_csv`.
///
/// # Errors
/// The entry at fault; the use cases' own errors.
pub async fn load_recipe_book(
    app: &App,
    p: Principal,
    book_toml: &str,
    prices_csv: &str,
) -> anyhow::Result<BookLoaded> {
    let book: BookFile = toml::from_str(book_toml).context("the recipe book")?;
    let prices = price_list(prices_csv)?;
    let mut loaded = BookLoaded::default();
    let mut items = HashMap::new();
    for spec in book.item {
        let cmd = ItemCommand {
            name: spec.name.clone(),
            sku: None,
            category: Some(spec.category),
            base_unit: spec.base_unit,
            pack_sizes: vec![spec.pack],
            barcode: None,
            unit_cost: Some(spec.unit_cost),
        };
        let item = app.create_item(p, cmd, None).await.map_err(failed)?.value;
        items.insert(spec.name.into_string(), item.id);
        loaded.items += 1;
    }
    let mut recipes = HashMap::new();
    for spec in book.recipe {
        let context = format!("recipe '{}'", spec.name);
        let cmd = RecipeCommand {
            name: spec.name.clone(),
            yield_quantity: spec.yield_quantity,
            yield_unit: spec.yield_unit,
            notes: spec.notes,
            lines: line_commands(&context, &spec.lines, &items, &recipes)?,
        };
        let r = app
            .create_recipe(p, cmd, None)
            .await
            .map_err(failed)
            .context(context)?
            .value;
        recipes.insert(spec.name.into_string(), r.id);
        loaded.recipes += 1;
    }
    for spec in book.menu_item {
        let context = format!("menu item '{}'", spec.name);
        let cmd = RecipeCommand {
            name: spec.name.clone(),
            yield_quantity: Quantity::from_raw(1000),
            yield_unit: BaseUnit::Ea,
            notes: Some(text(&format!("One portion of {} as sold.", spec.name))?),
            lines: line_commands(&context, &spec.lines, &items, &recipes)?,
        };
        let r = app
            .create_recipe(p, cmd, None)
            .await
            .map_err(failed)
            .context(context.clone())?
            .value;
        loaded.recipes += 1;
        let menu = MenuItemCommand {
            name: spec.name.clone(),
            category: Some(spec.category),
            recipe_id: Some(r.id),
            portion: None,
            price: prices.get(&name_key(spec.name.as_str())).copied(),
        };
        app.create_menu_item(p, menu, None)
            .await
            .map_err(failed)
            .context(context)?;
        loaded.menu_items += 1;
    }
    Ok(loaded)
}

/// A literal or composed text as the policy type ([`larder_core::text`]) a command takes.
pub(crate) fn text<T: std::str::FromStr<Err = larder_core::TextError>>(
    s: &str,
) -> anyhow::Result<T> {
    s.parse().map_err(|e| anyhow::anyhow!("{s:?}: {e}"))
}

/// Creates the demo tenant and loads the book, every real sale, par levels, the opening count
/// and the weekly deliveries; finishes what an interrupted run left undone.
///
/// # Errors
/// The use cases' errors; a demo interrupted while its recipe book was loading (which is not
/// resumable: its items and recipes are created one by one) says to start afresh.
pub async fn load_demo(app: &App, progress: &indicatif::ProgressBar) -> anyhow::Result<DemoReport> {
    let mut report = DemoReport::default();
    // The demo owner, looked up as an operator (no login, so no failed attempt in the log and
    // no session left behind).
    let owner = app
        .operator_principal(&text(DEMO_EMAIL)?)
        .await
        .map_err(failed)
        .context("looking up the demo user")?;
    let (p, location) = match owner {
        Some(p) => (p, book_present(app, p).await?),
        None => {
            let (p, location) = create_demo_tenant(
                app,
                RegisterCommand {
                    tenant_name: text(DEMO_TENANT)?,
                    email: text(DEMO_EMAIL)?,
                    password: text(DEMO_PASSWORD)?,
                    name: text("Demo Manager")?,
                    // The takeaway is in London.
                    currency: Some("GBP".into()),
                    time_zone: Some("Europe/London".into()),
                    day_cutoff_minutes: Some(240),
                },
                DEMO_LOCATION,
            )
            .await?;
            report.book = load_recipe_book(app, p, RECIPES_TOML, PRICES_CSV).await?;
            (p, location)
        }
    };
    progress.set_message("takeaway sales");
    report.sales = app
        .import_sales_with(
            p.tenant_id,
            location,
            DEMO_SALES_SOURCE,
            ImportRequest {
                lines: crate::sales_import::embedded(ORDERS_CSV.as_bytes(), progress.clone()),
                tickets: None,
                mapping: SalesMapping::default(),
                mode: ImportMode::AllOrNothing,
                dry_run: false,
            },
        )
        .await
        .map_err(failed)
        .context("importing the takeaway's sales")?;
    // A complete demo (no ticket was missing, and the opening count that is posted with every
    // delivery is there) is left as it is, whatever was imported into it since.
    let complete = report.sales.tickets_imported == 0 && opening_posted(app, p, location).await?;
    let stock = if complete {
        (0, 0, false)
    } else {
        progress.set_message("takeaway stock");
        stock_the_kitchen(app, p, location).await?
    };
    report.openings = stock.0;
    report.receipts = stock.1;
    report.loaded = report.book.items > 0 || report.sales.tickets_imported > 0 || stock.2;
    Ok(report)
}

/// Creates a demo tenant (as the operator) and its one outlet: the owner and the location.
///
/// # Errors
/// The use cases' errors.
pub(crate) async fn create_demo_tenant(
    app: &App,
    reg: RegisterCommand,
    location: &str,
) -> anyhow::Result<(Principal, LocationId)> {
    let reg = app.create_tenant(reg).await.map_err(failed)?;
    let p = Principal::operator(reg.tenant_id, reg.user_id, Role::Owner);
    let location = app
        .create_location(
            p,
            LocationCommand {
                name: text(location)?,
                kind: LocationKind::Outlet,
            },
            None,
        )
        .await
        .map_err(failed)?
        .value
        .id;
    Ok((p, location))
}

/// The demo location of a tenant whose book is complete.
async fn book_present(app: &App, p: Principal) -> anyhow::Result<LocationId> {
    let interrupted = || {
        anyhow::anyhow!(
            "the demo was interrupted while its recipe book was loading; remove the data directory (or the database) and run larder demo again"
        )
    };
    let book: BookFile = toml::from_str(RECIPES_TOML).context("the recipe book")?;
    let location = app
        .find_location(p.tenant_id, DEMO_LOCATION)
        .await
        .map_err(|_| interrupted())?;
    let menu = app
        .list_menu_items(p, Some(larder_app::page::MAX_LIMIT), None)
        .await
        .map_err(failed)?;
    if menu.data.len() < book.menu_item.len() {
        return Err(interrupted());
    }
    Ok(location)
}

/// Whether the demo's opening count is in the ledger.
pub(crate) async fn opening_posted(
    app: &App,
    p: Principal,
    location: LocationId,
) -> anyhow::Result<bool> {
    let page = app
        .list_movements(
            p,
            MovementQuery {
                location_id: Some(location),
                kind: Some(MovementKind::Opening),
                limit: Some(1),
                ..Default::default()
            },
        )
        .await
        .map_err(failed)?;
    Ok(!page.data.is_empty())
}

/// Par levels from the weekly usage, then the opening count and one delivery per week, in one
/// idempotent request. Returns (openings, receipts, whether anything was written).
pub(crate) async fn stock_the_kitchen(
    app: &App,
    p: Principal,
    location: LocationId,
) -> anyhow::Result<(usize, usize, bool)> {
    let Some((first, last)) = app.sales_span(p).await.map_err(failed)? else {
        return Ok((0, 0, false));
    };
    let cal = app.calendar(p.tenant_id).await.map_err(failed)?;
    let first_week = cal.week_of(cal.business_date(first));
    let end = cal.day_start(cal.week_of(cal.business_date(last)) + Duration::weeks(1));
    let usage = app
        .weekly_usage_of_history(p, cal.day_start(first_week), end)
        .await
        .map_err(failed)?;
    let packs = item_packs(app, p).await?;
    let pars = derive_par_levels(&usage, &packs);
    for (item, (par, reorder)) in &pars {
        app.set_par_level(
            p,
            *item,
            location,
            ParLevelCommand {
                par_level: Some(*par),
                reorder_point: Some(*reorder),
            },
        )
        .await
        .map_err(failed)?;
    }
    let opening_at = cal.day_start(first_week) - Duration::days(1);
    let opening_reason: Label = text("opening count (demo)")?;
    let mut cmds: Vec<AdjustmentCommand> = pars
        .iter()
        .map(|(item, (par, _))| AdjustmentCommand {
            item_id: *item,
            location_id: location,
            quantity: *par,
            kind: MovementKind::Opening,
            reason: Some(opening_reason.clone()),
            occurred_at: Some(opening_at),
            lot_code: None,
            expires_on: None,
        })
        .collect();
    let openings = cmds.len();
    // The level of each item at each week's start: opening, plus deliveries, minus usage.
    let mut level: BTreeMap<ItemId, i64> =
        pars.iter().map(|(i, (par, _))| (*i, par.raw())).collect();
    let by_item: HashMap<ItemId, &larder_app::analytics::UsageSeries> =
        usage.iter().map(|u| (u.item_id, u)).collect();
    let weeks = usage.first().map_or(0, |u| u.weeks.len());
    for w in 0..weeks {
        let Some(monday) = usage.first().and_then(|u| u.weeks.get(w)).map(|(d, _)| *d) else {
            continue;
        };
        let at: DateTime<Utc> = cal.day_start(monday);
        for (item, (par, _)) in &pars {
            let on_hand = Quantity::from_raw(level.get(item).copied().unwrap_or(0));
            let pack = packs.get(item).copied().unwrap_or(Quantity::ZERO);
            let qty = order_up_to_par(on_hand, *par, pack)
                .ok_or_else(|| anyhow::anyhow!("a delivery overflows"))?;
            let used = by_item
                .get(item)
                .and_then(|u| u.weeks.get(w))
                .map_or(0, |(_, q)| q.raw());
            if let Some(l) = level.get_mut(item) {
                *l += qty.raw() - used;
            }
            if qty.raw() > 0 {
                cmds.push(AdjustmentCommand {
                    item_id: *item,
                    location_id: location,
                    quantity: qty,
                    kind: MovementKind::Receipt,
                    reason: Some(text("weekly delivery up to par (demo)")?),
                    occurred_at: Some(at),
                    lot_code: None,
                    expires_on: None,
                });
            }
        }
    }
    let receipts = cmds.len() - openings;
    let key = IdempotencyKey::parse(STOCK_KEY).map_err(failed)?;
    let posted = app
        .post_adjustments(p, cmds, Some(key))
        .await
        .map_err(failed)
        .context("posting the opening count and weekly deliveries")?;
    Ok((openings, receipts, !posted.replayed))
}

/// Each item's first pack size.
async fn item_packs(app: &App, p: Principal) -> anyhow::Result<HashMap<ItemId, Quantity>> {
    let items = app
        .list_items(
            p,
            ItemQuery {
                limit: Some(larder_app::page::MAX_LIMIT),
                ..Default::default()
            },
        )
        .await
        .map_err(failed)?;
    Ok(items
        .data
        .iter()
        .filter_map(|i| i.pack_sizes.first().map(|pk| (i.id, pk.quantity)))
        .collect())
}

/// Par level 1.5 x the largest weekly usage, rounded up to whole packs (at least one pack);
/// reorder point half that usage, rounded down to the thousandth (integer halving).
fn derive_par_levels(
    usage: &[larder_app::analytics::UsageSeries],
    packs: &HashMap<ItemId, Quantity>,
) -> BTreeMap<ItemId, (Quantity, Quantity)> {
    usage
        .iter()
        .filter(|u| u.total.raw() > 0)
        .map(|u| {
            let used = u.weeks.iter().map(|(_, q)| q.raw()).max().unwrap_or(0);
            let pack = packs.get(&u.item_id).map_or(1000, |q| q.raw().max(1));
            let target = used.saturating_mul(3) / 2;
            let par = (target + pack - 1).div_euclid(pack) * pack;
            (
                u.item_id,
                (
                    Quantity::from_raw(par.max(pack)),
                    Quantity::from_raw(used / 2),
                ),
            )
        })
        .collect()
}

/// Loads the demo (or finishes an interrupted load) and returns the application to serve.
///
/// # Errors
/// Loading failures.
pub async fn load(config: &Config) -> anyhow::Result<App> {
    let store = open_store(config).await?;
    let app = build_app(config, store)?;
    let started = std::time::Instant::now();
    // Both demos' sales files, read twice each (the pizza orders once, as the tickets file).
    let bytes = 2 * ORDERS_CSV.len()
        + 2 * crate::pizza_demo::ORDER_DETAILS_CSV.len()
        + crate::pizza_demo::ORDERS_CSV.len();
    let progress = crate::sales_import::bar(bytes as u64);
    progress.set_message("takeaway book");
    let report = load_demo(&app, &progress);
    let report = report.await.context("failed to load the demo")?;
    log_loaded(&report, started);
    let pizza = crate::pizza_demo::load_pizza(&app, &progress)
        .await
        .context("failed to load the pizza demo")?;
    progress.finish_and_clear();
    if pizza.loaded {
        let s = &pizza.sales;
        tracing::info!(
            items = pizza.book.items,
            recipes = pizza.book.recipes,
            menu_items = pizza.book.menu_items,
            pos_names_mapped = pizza.aliases,
            tickets = s.tickets_imported,
            tickets_already_there = s.tickets_already_imported,
            lines = s.lines_imported,
            lines_depleted = s.lines_depleted,
            sale_movements = s.movements,
            openings = pizza.openings,
            receipts = pizza.receipts,
            seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
            "pizza demo loaded"
        );
    } else {
        tracing::info!("pizza demo tenant already complete; nothing loaded");
    }
    Ok(app)
}

/// Logs what loading the takeaway did.
fn log_loaded(report: &DemoReport, started: std::time::Instant) {
    if report.loaded {
        let s = &report.sales;
        tracing::info!(
            items = report.book.items,
            recipes = report.book.recipes,
            menu_items = report.book.menu_items,
            tickets = s.tickets_imported,
            tickets_already_there = s.tickets_already_imported,
            lines = s.lines_imported,
            lines_depleted = s.lines_depleted,
            sale_movements = s.movements,
            openings = report.openings,
            receipts = report.receipts,
            seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
            "demo loaded"
        );
    } else {
        tracing::info!("demo tenant already complete; nothing loaded");
    }
}

/// The lines `larder demo` prints once it listens: the takeaway's login, then the pizza
/// place's.
pub fn login_lines() -> [String; 3] {
    [
        format!("email: {DEMO_EMAIL}"),
        format!("password: {DEMO_PASSWORD}"),
        format!(
            "pizza place (US, synthetic sales): email: {} password: {}",
            crate::pizza_demo::PIZZA_EMAIL,
            crate::pizza_demo::PIZZA_PASSWORD
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn par_is_one_and_a_half_peak_weeks_in_whole_packs_and_reorder_half_a_week() {
        let item = ItemId::new();
        let d = |n| NaiveDate::from_ymd_opt(2019, 1, 7).unwrap_or_default() + Duration::weeks(n);
        let usage = vec![larder_app::analytics::UsageSeries {
            item_id: item,
            name: "rice".into(),
            base_unit: BaseUnit::G,
            total: Quantity::from_raw(10_500_000),
            weeks: vec![
                (d(0), Quantity::from_raw(3_500_000)),
                (d(1), Quantity::from_raw(7_000_000)),
            ],
        }];
        let packs = HashMap::from([(item, Quantity::from_raw(5_000_000))]);
        let pars = derive_par_levels(&usage, &packs);
        // 1.5 x 7 kg = 10.5 kg -> three 5 kg sacks; reorder point 3.5 kg.
        assert_eq!(
            pars.get(&item),
            Some(&(
                Quantity::from_raw(15_000_000),
                Quantity::from_raw(3_500_000)
            ))
        );
    }
}
