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
//! The book also names the takeaway's suppliers and, per item, the one supplier item it is
//! bought as (pack, MOQ, price per pack, shelf life): [`load_supply`] creates them before the
//! sales, prices them from [`PRICES_FROM`] and makes each the item's preferred supplier item at
//! the demo location; [`demo_supply`] reads them back for the purchasing replay that is to
//! replace the weekly deliveries.
//!
//! The deliveries are posted after the sales, backdated to each week's start: the ledger keeps
//! `occurred_at` apart from `recorded_at`, so on hand at any instant is what it would have
//! been. Each delivery's size comes from the weekly usage report: the stock at a week's start
//! is the opening plus earlier deliveries minus earlier weeks' usage.
//!
//! Every step can be repeated: suppliers and supplier items are found by name and SKU before
//! any is added, the import skips tickets it has, par levels are set (not added), and the
//! opening and deliveries are one idempotent request. So `larder demo` after
//! a kill or crash finishes the job, and after a complete load does nothing.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use larder_app::auth::RegisterCommand;
use larder_app::catalog::{ItemCommand, ItemQuery, ParLevelCommand};
use larder_app::idempotency::IdempotencyKey;
use larder_app::inventory::{AdjustmentCommand, MovementQuery};
use larder_app::menu::{MenuItemCommand, RecipeCommand, RecipeLineCommand};
use larder_app::procurement::{
    PreferredSupplierCommand, SupplierCommand, SupplierItemCommand, SupplierItemQuery,
    SupplierPriceCommand, SupplierQuery,
};
use larder_app::sales::{ImportReport, name_key};
use larder_app::tenancy::LocationCommand;
use larder_app::{App, AppError, Principal};
use larder_core::auth::Role;
use larder_core::inventory::{MovementKind, order_up_to_par};
use larder_core::procurement::{OrderDays, PackLevel, pack_base_quantity};
use larder_core::tenancy::LocationKind;
use larder_core::{
    BaseUnit, Code, Email, ItemId, Label, LocationId, Money, Name, Note, Quantity, SupplierId,
    SupplierItemId, Unit,
};
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
/// When the takeaway's supplier prices take effect: midnight in London (BST) on 2015-08-01, a
/// month before its first sale (2015-09-01), so every receipt of the history finds a price.
pub const PRICES_FROM: &str = "2015-08-01T00:00:00+01:00";

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

/// A `[[supplier]]` of a book: a [`SupplierCommand`] in the tenant's currency.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplierSpec {
    name: Name,
    email: Option<Email>,
    phone: Option<Label>,
    account_number: Option<Code>,
    /// Weekday names as [`OrderDays::parse`] reads them (`monday`).
    order_days: Vec<String>,
    lead_time_days: i32,
    min_order_value: Option<Money>,
}

/// A `[[supplier_item]]` of a book: what its item is bought as (the item's preferred supplier
/// item at the demo location), with the price per pack recorded from the book's price date.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupplierItemSpec {
    /// The book's item, by name.
    item: String,
    /// The book's supplier, by name.
    supplier: String,
    sku: Code,
    description: Option<Name>,
    /// Outermost first, as the procurement API takes them.
    packs: Vec<PackLevel>,
    moq_packs: i32,
    /// Exactly the item's `unit_cost` x one pack in its base unit ([`supply_plan`] checks).
    price_per_pack: Money,
    /// Days from delivery to a received lot's expiry.
    shelf_life_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BookFile {
    item: Vec<ItemSpec>,
    recipe: Vec<RecipeSpec>,
    menu_item: Vec<MenuSpec>,
    #[serde(default)]
    supplier: Vec<SupplierSpec>,
    #[serde(default)]
    supplier_item: Vec<SupplierItemSpec>,
    /// Read by [`crate::demo_stock`].
    #[serde(default, rename = "storage_area")]
    _storage_area: Vec<serde::de::IgnoredAny>,
    /// Read by [`crate::demo_stock`].
    #[serde(default, rename = "prep")]
    _prep: Vec<serde::de::IgnoredAny>,
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
    /// Deliveries received (goods receipts; for the pizza place, weekly receipt movements).
    pub receipts: usize,
    /// Purchase orders placed by the replay.
    pub orders: usize,
    /// Counts, waste entries and production batches the replay recorded.
    pub stock: crate::demo_stock::StockDone,
    /// Suppliers, supplier items and prices added (zero when they were there already).
    pub supply: SupplyLoaded,
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
            pack_sizes: vec![spec.pack.into()],
            barcode: None,
            unit_cost: Some(spec.unit_cost),
            density: None,
            density_source: None,
            entry_step: None,
            entry_rounding: None,
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
            effective_from: None,
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
            effective_from: None,
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
            effective_from: None,
        };
        app.create_menu_item(p, menu, None)
            .await
            .map_err(failed)
            .context(context)?;
        loaded.menu_items += 1;
    }
    Ok(loaded)
}

/// One `[[supplier_item]]` of a book, checked against its item: the pack in the item's base
/// unit and the price it must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSupply {
    /// The item's name.
    pub item: String,
    /// The supplier's name.
    pub supplier: String,
    /// The supplier's SKU.
    pub sku: String,
    /// One outermost pack in the item's base unit.
    pub pack_quantity: Quantity,
    /// Smallest order, in packs.
    pub moq_packs: i32,
    /// Price of one pack: the item's `unit_cost` x `pack_quantity`, exactly.
    pub price_per_pack: Money,
    /// Days from delivery to a lot's expiry.
    pub shelf_life_days: u32,
}

/// `unit_cost` (per base unit) x `quantity` (base units) when that is a whole number of
/// millionths, `None` when it would have to be rounded (or overflows).
fn exact_cost(quantity: Quantity, unit_cost: Money) -> Option<Money> {
    let product = i128::from(quantity.raw()) * i128::from(unit_cost.raw());
    let per_thousand = i128::from(Quantity::ONE_RAW);
    if product % per_thousand != 0 {
        return None;
    }
    i64::try_from(product / per_thousand)
        .ok()
        .and_then(Money::checked_from_raw)
}

/// Checks a book's suppliers against its items (name -> base unit and unit cost): every item
/// bought as exactly one supplier item of a listed supplier, every supplier's order days
/// weekdays, every pack converting exactly to the item's base unit, and every price per pack
/// exactly the item's unit cost x that pack (so receipts are valued at the book's costs).
///
/// # Errors
/// Every entry at fault, one per line.
pub fn supply_plan(
    items: &BTreeMap<String, (BaseUnit, Money)>,
    suppliers: &[SupplierSpec],
    supplier_items: &[SupplierItemSpec],
) -> anyhow::Result<Vec<PlannedSupply>> {
    let mut faults = Vec::new();
    let mut supplier_names = std::collections::BTreeSet::new();
    for s in suppliers {
        if !supplier_names.insert(s.name.as_str()) {
            faults.push(format!("supplier '{}' is listed twice", s.name));
        }
        if let Err(e) = OrderDays::parse(&s.order_days) {
            faults.push(format!("supplier '{}': order_days: {e}", s.name));
        }
    }
    let mut covered: BTreeMap<&str, usize> = BTreeMap::new();
    let mut skus = std::collections::BTreeSet::new();
    let mut plan = Vec::with_capacity(supplier_items.len());
    for si in supplier_items {
        let at = format!("supplier_item '{}' ({})", si.sku, si.item);
        *covered.entry(si.item.as_str()).or_default() += 1;
        if !supplier_names.contains(si.supplier.as_str()) {
            faults.push(format!("{at}: no [[supplier]] '{}'", si.supplier));
        }
        if !skus.insert((si.supplier.as_str(), si.sku.as_str())) {
            faults.push(format!(
                "{at}: the SKU is listed twice for '{}'",
                si.supplier
            ));
        }
        if !(1..=10_000).contains(&si.moq_packs) {
            faults.push(format!("{at}: moq_packs must be 1 to 10000"));
        }
        let Some((base_unit, unit_cost)) = items.get(&si.item) else {
            faults.push(format!("{at}: no [[item]] '{}'", si.item));
            continue;
        };
        let pack_quantity = match pack_base_quantity(&si.packs, *base_unit) {
            Ok(q) => q,
            Err(e) => {
                faults.push(format!("{at}: {e}"));
                continue;
            }
        };
        match exact_cost(pack_quantity, *unit_cost) {
            Some(price) if price == si.price_per_pack => {}
            Some(price) => faults.push(format!(
                "{at}: price_per_pack {} is not unit_cost {unit_cost} x {pack_quantity} = {price}",
                si.price_per_pack
            )),
            None => faults.push(format!(
                "{at}: unit_cost {unit_cost} x {pack_quantity} is not a whole millionth"
            )),
        }
        plan.push(PlannedSupply {
            item: si.item.clone(),
            supplier: si.supplier.clone(),
            sku: si.sku.as_str().to_owned(),
            pack_quantity,
            moq_packs: si.moq_packs,
            price_per_pack: si.price_per_pack,
            shelf_life_days: si.shelf_life_days,
        });
    }
    if !supplier_items.is_empty() {
        for name in items.keys() {
            match covered.get(name.as_str()).copied().unwrap_or(0) {
                1 => {}
                0 => faults.push(format!("item '{name}' has no [[supplier_item]]")),
                n => faults.push(format!("item '{name}' has {n} [[supplier_item]]s, not one")),
            }
        }
    }
    if faults.is_empty() {
        Ok(plan)
    } else {
        Err(anyhow::anyhow!("{}", faults.join("\n")))
    }
}

/// What loading a book's suppliers added.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SupplyLoaded {
    /// Suppliers created.
    pub suppliers: usize,
    /// Supplier items created (each with its price).
    pub supplier_items: usize,
    /// Prices added to supplier items that had none from the book's date (a resumed load).
    pub prices: usize,
}

impl SupplyLoaded {
    /// Whether anything was written.
    pub fn any(self) -> bool {
        self.suppliers + self.supplier_items + self.prices > 0
    }
}

/// The tenant's items by name: id, base unit and unit cost (zero when it has none).
pub(crate) async fn items_by_name(
    app: &App,
    p: Principal,
) -> anyhow::Result<BTreeMap<String, (ItemId, BaseUnit, Money)>> {
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
        .into_iter()
        .map(|i| {
            let cost = i.unit_cost.unwrap_or(Money::ZERO);
            (i.name, (i.id, i.base_unit, cost))
        })
        .collect())
}

/// The tenant's suppliers (inactive ones too) by name.
async fn suppliers_by_name(
    app: &App,
    p: Principal,
) -> anyhow::Result<HashMap<String, larder_app::procurement::Supplier>> {
    let page = app
        .list_suppliers(
            p,
            SupplierQuery {
                include_inactive: Some(true),
                limit: Some(larder_app::page::MAX_LIMIT),
                cursor: None,
            },
        )
        .await
        .map_err(failed)?;
    Ok(page.data.into_iter().map(|s| (s.name.clone(), s)).collect())
}

/// Creates a book's suppliers and supplier items through the use cases, each supplier item
/// with its price from `prices_from`, and makes each the preferred supplier item of its item
/// at `location`. Repeatable: suppliers are found by name and supplier items by SKU, a price
/// is added only when the supplier item has none from `prices_from`, and choosing the
/// preferred supplier item again replaces it with itself.
///
/// # Errors
/// The book's faults ([`supply_plan`]); an existing SKU that sells another item; the use
/// cases' errors.
pub async fn load_supply(
    app: &App,
    p: Principal,
    location: LocationId,
    suppliers: &[SupplierSpec],
    supplier_items: &[SupplierItemSpec],
    prices_from: DateTime<Utc>,
) -> anyhow::Result<SupplyLoaded> {
    let mut loaded = SupplyLoaded::default();
    if suppliers.is_empty() && supplier_items.is_empty() {
        return Ok(loaded);
    }
    // Every bought item needs its supplier item; prep items (made by a recipe, ADR 022) are
    // not bought.
    let made: Vec<ItemId> = app
        .list_production_settings(p)
        .await
        .map_err(failed)?
        .into_iter()
        .map(|s| s.item_id)
        .collect();
    let items = items_by_name(app, p).await?;
    let costs = items
        .iter()
        .filter(|(_, (id, _, _))| !made.contains(id))
        .map(|(n, (_, unit, cost))| (n.clone(), (*unit, *cost)))
        .collect();
    supply_plan(&costs, suppliers, supplier_items).context("the book's suppliers")?;
    let mut existing = suppliers_by_name(app, p).await?;
    for spec in suppliers {
        if existing.contains_key(spec.name.as_str()) {
            continue;
        }
        let cmd = SupplierCommand {
            name: spec.name.clone(),
            email: spec.email.clone(),
            phone: spec.phone.clone(),
            account_number: spec.account_number.clone(),
            order_days: spec.order_days.clone(),
            lead_time_days: Some(spec.lead_time_days),
            min_order_value: spec.min_order_value,
            currency: None,
            active: None,
        };
        let s = app
            .create_supplier(p, cmd, None)
            .await
            .map_err(failed)
            .with_context(|| format!("supplier '{}'", spec.name))?
            .value;
        existing.insert(s.name.clone(), s);
        loaded.suppliers += 1;
    }
    let mut sold: HashMap<(SupplierId, String), larder_app::procurement::SupplierItem> =
        HashMap::new();
    for s in existing.values() {
        let page = app
            .list_supplier_items(
                p,
                SupplierItemQuery {
                    supplier_id: Some(s.id),
                    item_id: None,
                },
            )
            .await
            .map_err(failed)?;
        for si in page.data {
            sold.insert((s.id, si.supplier_sku.clone()), si);
        }
    }
    for spec in supplier_items {
        let at = || format!("supplier_item '{}'", spec.sku);
        let supplier = existing
            .get(&spec.supplier)
            .ok_or_else(|| anyhow::anyhow!("{}: no supplier '{}'", at(), spec.supplier))?
            .id;
        let (item, _, _) = *items
            .get(&spec.item)
            .ok_or_else(|| anyhow::anyhow!("{}: no item '{}'", at(), spec.item))?;
        let supplier_item = match sold.get(&(supplier, spec.sku.as_str().to_owned())) {
            Some(si) if si.item_id != item => {
                anyhow::bail!("{}: the supplier sells that SKU as another item", at())
            }
            Some(si) => {
                if !si.prices.iter().any(|pr| pr.effective_from == prices_from) {
                    app.add_supplier_price(
                        p,
                        si.id,
                        SupplierPriceCommand {
                            price_per_pack: spec.price_per_pack,
                            effective_from: Some(prices_from),
                        },
                        None,
                    )
                    .await
                    .map_err(failed)
                    .with_context(at)?;
                    loaded.prices += 1;
                }
                si.id
            }
            None => {
                let cmd = SupplierItemCommand {
                    supplier_id: supplier,
                    item_id: item,
                    supplier_sku: spec.sku.clone(),
                    description: spec.description.clone(),
                    gtin: None,
                    packs: spec.packs.clone(),
                    moq_packs: Some(spec.moq_packs),
                    price_per_pack: Some(spec.price_per_pack),
                    price_effective_from: Some(prices_from),
                };
                let si = app
                    .create_supplier_item(p, cmd, None)
                    .await
                    .map_err(failed)
                    .with_context(at)?
                    .value;
                loaded.supplier_items += 1;
                si.id
            }
        };
        app.set_preferred_supplier(
            p,
            item,
            location,
            PreferredSupplierCommand {
                supplier_item_id: supplier_item,
            },
        )
        .await
        .map_err(failed)
        .with_context(at)?;
    }
    Ok(loaded)
}

/// How the demo buys one item: its preferred supplier item at the demo location, for the
/// purchasing replay (orders from reorder suggestions on the supplier's order days, receipts
/// into lots). Quantities are in the item's base unit; money in the supplier's currency (the
/// tenant's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSupply {
    /// The item.
    pub item_id: ItemId,
    /// Its supplier.
    pub supplier_id: SupplierId,
    /// The preferred supplier item.
    pub supplier_item_id: SupplierItemId,
    /// The supplier's SKU.
    pub supplier_sku: String,
    /// One outermost pack, in the item's base unit (exact).
    pub pack_quantity: Quantity,
    /// The smallest order, in packs.
    pub moq_packs: i32,
    /// The price per pack in force from the book's price date (unit cost x pack, exactly).
    pub price_per_pack: Money,
    /// Days from delivery to a received lot's expiry (the book's assumption).
    pub shelf_life_days: u32,
    /// The weekdays the supplier takes orders.
    pub order_days: OrderDays,
    /// Days from order to delivery.
    pub lead_time_days: i32,
}

/// Each takeaway item's [`DemoSupply`], as stored in the demo tenant of `p`: the supplier
/// items its book names (the preferred supplier items at the demo location, [`load_supply`]),
/// read back through the use cases, with the book's shelf lives.
///
/// # Errors
/// A supplier, supplier item or price the book names that is not stored (the demo is not
/// loaded); the use cases' errors.
pub async fn demo_supply(app: &App, p: Principal) -> anyhow::Result<BTreeMap<ItemId, DemoSupply>> {
    let book: BookFile = toml::from_str(RECIPES_TOML).context("the recipe book")?;
    supply_from(
        app,
        p,
        &book.supplier,
        &book.supplier_item,
        prices_from(PRICES_FROM)?,
    )
    .await
}

/// [`demo_supply`] of any book's supplier sections, with the prices in force at `prices_from`.
pub async fn supply_from(
    app: &App,
    p: Principal,
    suppliers: &[SupplierSpec],
    supplier_items: &[SupplierItemSpec],
    prices_from: DateTime<Utc>,
) -> anyhow::Result<BTreeMap<ItemId, DemoSupply>> {
    let items = items_by_name(app, p).await?;
    let stored = suppliers_by_name(app, p).await?;
    let mut out = BTreeMap::new();
    for spec in suppliers {
        let s = stored
            .get(spec.name.as_str())
            .ok_or_else(|| anyhow::anyhow!("supplier '{}' is not loaded", spec.name))?;
        let order_days = OrderDays::parse(&s.order_days).map_err(|e| anyhow::anyhow!(e))?;
        let page = app
            .list_supplier_items(
                p,
                SupplierItemQuery {
                    supplier_id: Some(s.id),
                    item_id: None,
                },
            )
            .await
            .map_err(failed)?;
        for si_spec in supplier_items
            .iter()
            .filter(|i| i.supplier == spec.name.as_str())
        {
            let sku = si_spec.sku.as_str();
            let si = page
                .data
                .iter()
                .find(|si| si.supplier_sku == sku)
                .ok_or_else(|| anyhow::anyhow!("supplier item '{sku}' is not loaded"))?;
            let price = si
                .prices
                .iter()
                .filter(|pr| pr.effective_from <= prices_from)
                .max_by_key(|pr| pr.effective_from)
                .ok_or_else(|| anyhow::anyhow!("supplier item '{sku}' has no price"))?
                .price_per_pack;
            let item = items
                .get(&si_spec.item)
                .map(|(id, _, _)| *id)
                .ok_or_else(|| anyhow::anyhow!("item '{}' is not loaded", si_spec.item))?;
            out.insert(
                item,
                DemoSupply {
                    item_id: item,
                    supplier_id: s.id,
                    supplier_item_id: si.id,
                    supplier_sku: si.supplier_sku.clone(),
                    pack_quantity: si.pack_quantity,
                    moq_packs: si.moq_packs,
                    price_per_pack: price,
                    shelf_life_days: si_spec.shelf_life_days,
                    order_days,
                    lead_time_days: s.lead_time_days,
                },
            );
        }
    }
    Ok(out)
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
    progress.set_message("takeaway suppliers");
    report.supply = load_takeaway_supply(app, p, location).await?;
    progress.set_message("takeaway sales and purchasing");
    // The history replayed day by day with the purchasing around it (crate::demo_replay): a
    // complete demo (every ticket stored) is left as it is.
    let tz = app.tenant_tz(p.tenant_id).await.map_err(failed)?;
    let (scan, tickets) =
        larder_app::sales::import::parse_all(ORDERS_CSV.as_bytes(), tz).map_err(failed)?;
    if let Some(e) = scan.errors.first() {
        anyhow::bail!("the takeaway's sales file has a bad row: {e:?}");
    }
    let in_file = tickets.len();
    let supply = demo_supply(app, p).await?;
    let replayed = crate::demo_replay::replay(
        app,
        p,
        location,
        DEMO_SALES_SOURCE,
        tickets,
        &supply,
        Some(RECIPES_TOML),
        progress,
    )
    .await
    .context("replaying the takeaway's sales and purchasing")?;
    progress.inc(2 * ORDERS_CSV.len() as u64);
    report.sales = ImportReport {
        rows_read: scan.rows_read,
        tickets_in_file: in_file,
        tickets_imported: replayed.tickets,
        tickets_already_imported: in_file - replayed.tickets,
        lines_depleted: replayed.lines_depleted,
        movements: replayed.movements,
        time_zone: tz.name().to_owned(),
        ..Default::default()
    };
    report.openings = replayed.openings;
    report.orders = replayed.orders;
    report.stock = replayed.stock;
    report.receipts = replayed.deliveries;
    report.loaded = report.book.items > 0 || report.supply.any() || replayed.tickets > 0;
    Ok(report)
}

/// The takeaway book's suppliers, supplier items, prices and preferred supplier items, added
/// to a tenant that lacks them (a demo loaded before the book had suppliers gets them too).
async fn load_takeaway_supply(
    app: &App,
    p: Principal,
    location: LocationId,
) -> anyhow::Result<SupplyLoaded> {
    let book: BookFile = toml::from_str(RECIPES_TOML).context("the recipe book")?;
    load_supply(
        app,
        p,
        location,
        &book.supplier,
        &book.supplier_item,
        prices_from(PRICES_FROM)?,
    )
    .await
    .context("loading the takeaway's suppliers")
}

/// An RFC 3339 instant of a book as UTC.
pub(crate) fn prices_from(rfc3339: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("{rfc3339:?} is not an RFC 3339 instant"))
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
pub(crate) fn derive_par_levels(
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
            suppliers = pizza.supply.suppliers,
            supplier_items = pizza.supply.supplier_items,
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
            orders = report.orders,
            deliveries = report.receipts,
            counts = report.stock.counts,
            waste_entries = report.stock.waste,
            batches = report.stock.batches,
            suppliers = report.supply.suppliers,
            supplier_items = report.supply.supplier_items,
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

    fn book_costs(book: &BookFile) -> BTreeMap<String, (BaseUnit, Money)> {
        book.item
            .iter()
            .map(|i| (i.name.as_str().to_owned(), (i.base_unit, i.unit_cost)))
            .collect()
    }

    #[test]
    fn the_takeaway_book_buys_every_item_as_exactly_one_supplier_item_priced_at_its_unit_cost() {
        let book: BookFile = toml::from_str(RECIPES_TOML).unwrap();
        let costs = book_costs(&book);
        let plan = supply_plan(&costs, &book.supplier, &book.supplier_item)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(book.supplier.len(), 3);
        assert_eq!(plan.len(), book.item.len());
        let mut per_item: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &plan {
            *per_item.entry(s.item.as_str()).or_default() += 1;
        }
        assert_eq!(per_item.len(), book.item.len());
        assert!(per_item.values().all(|n| *n == 1));
        for s in &plan {
            let (_, unit_cost) = costs[&s.item];
            // Every pack converts, and is the item's own pack (what par levels count in).
            let item = book
                .item
                .iter()
                .find(|i| i.name.as_str() == s.item)
                .unwrap();
            assert_eq!(s.pack_quantity, item.pack.quantity, "{}", s.sku);
            assert_eq!(
                s.price_per_pack.to_string(),
                exact_cost(s.pack_quantity, unit_cost).unwrap().to_string(),
                "{}",
                s.sku
            );
            assert!(s.moq_packs >= 1 && s.shelf_life_days >= 1, "{}", s.sku);
            OrderDays::parse(
                &book
                    .supplier
                    .iter()
                    .find(|x| x.name.as_str() == s.supplier)
                    .unwrap()
                    .order_days,
            )
            .unwrap();
        }
        // Rice: 0.0016 GBP/g x a 10 kg sack.
        let rice = plan.iter().find(|s| s.item == "Basmati rice").unwrap();
        assert_eq!(rice.price_per_pack.to_string(), "16.00");
    }

    #[test]
    fn a_supply_plan_refuses_a_price_off_the_unit_cost_a_pack_that_does_not_convert_and_a_gap() {
        let book: BookFile = toml::from_str(
            r#"
            item = []
            recipe = []
            menu_item = []
            [[supplier]]
            name = "S"
            order_days = ["monday"]
            lead_time_days = 1
            [[supplier_item]]
            item = "Rice"
            supplier = "S"
            sku = "R"
            packs = [{ name = "sack", quantity = "10", unit = "kg" }]
            moq_packs = 1
            price_per_pack = "16.01"
            shelf_life_days = 365
            [[supplier_item]]
            item = "Flour"
            supplier = "S"
            sku = "F"
            packs = [{ name = "tub", quantity = "1", unit = "lb" }]
            moq_packs = 1
            price_per_pack = "1.00"
            shelf_life_days = 180
            "#,
        )
        .unwrap();
        let m = |s: &str| Money::parse(s).unwrap();
        let costs = BTreeMap::from([
            ("Rice".to_owned(), (BaseUnit::G, m("0.0016"))),
            ("Flour".to_owned(), (BaseUnit::Ml, m("0.001"))),
            ("Salt".to_owned(), (BaseUnit::G, m("0.0004"))),
        ]);
        let e = supply_plan(&costs, &book.supplier, &book.supplier_item)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("price_per_pack 16.01 is not unit_cost 0.0016 x 10000.000 = 16.00"),
            "{e}"
        );
        assert!(
            e.contains("supplier_item 'F' (Flour): packs[0].unit"),
            "{e}"
        );
        assert!(e.contains("item 'Salt' has no [[supplier_item]]"), "{e}");
    }

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
