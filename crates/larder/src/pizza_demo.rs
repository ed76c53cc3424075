//! The second demo tenant: Plato's Pizza, a year (2015) of a US pizzeria's orders from
//! `demo/pizza/` (synthetic data, see its SOURCE.md), loaded the way a new restaurant would load
//! its own: the recipe book through the ordinary use cases, the POS's pizza ids mapped to menu
//! items (POS aliases), a saved import mapping, and the dataset's own two files (order lines,
//! with the orders file giving each ticket's date and time) through the sales import as they
//! are, with no conversion. Then stock as the takeaway's: par levels from the usage, an opening
//! count and weekly deliveries ([`crate::demo`]). Its two suppliers and the supplier item each
//! item is bought as come from the book too, loaded as the takeaway's
//! ([`crate::demo::load_supply`], [`pizza_supply`]).
//!
//! The recipe book (`demo/pizza/book.toml`) holds the items, with how much of each goes on a
//! medium pizza that lists it, and the portion of each size; the pizza types and their
//! ingredient lists come from `pizza_types.csv`, the sizes and prices from `pizzas.csv`.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use larder_app::auth::RegisterCommand;
use larder_app::catalog::ItemCommand;
use larder_app::menu::{MenuItemCommand, RecipeCommand, RecipeLineCommand};
use larder_app::sales::{
    ImportMode, ImportReport, ImportRequest, SaleAliasCommand, SalesMapping, TicketsFileMapping,
};
use larder_app::{App, Principal};
use larder_core::{BaseUnit, ItemId, Label, LocationId, Money, Name, Quantity, Unit};
use larder_store::PackSize;
use serde::Deserialize;

use crate::demo::{
    BookLoaded, DemoSupply, SupplierItemSpec, SupplierSpec, SupplyLoaded, failed, prices_from, text,
};

/// Larder's recipe book for the pizzas (see its header).
pub const BOOK_TOML: &str = include_str!("../../../demo/pizza/book.toml");
/// Pizza types: id, name, category, ingredients (Windows-1252).
pub const PIZZA_TYPES_CSV: &[u8] = include_bytes!("../../../demo/pizza/pizza_types.csv");
/// Pizza ids with their type, size and price.
pub const PIZZAS_CSV: &str = include_str!("../../../demo/pizza/pizzas.csv");
/// The orders: id, date, time.
pub const ORDERS_CSV: &str = include_str!("../../../demo/pizza/orders.csv");
/// The order lines: id, order id, pizza id, quantity.
pub const ORDER_DETAILS_CSV: &str = include_str!("../../../demo/pizza/order_details.csv");

/// The pizza tenant's login (printed by `larder demo`; a local demo, not a secret).
pub const PIZZA_EMAIL: &str = "pizza@larder.test";
/// Its password.
pub const PIZZA_PASSWORD: &str = "platos-pizza-2015";
/// The tenant's name.
pub const PIZZA_TENANT: &str = "Plato's Pizza (demo, synthetic sales)";
/// Its one location.
pub const PIZZA_LOCATION: &str = "Pizza kitchen";
/// The source its sales are imported under.
pub const PIZZA_SOURCE: &str = "pos";
/// When the pizza place's supplier prices take effect: midnight in New York on 2014-12-01, a
/// month before its first sale (2015-01-01).
pub const PIZZA_PRICES_FROM: &str = "2014-12-01T00:00:00-05:00";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Base {
    dough: String,
    cheese: String,
    sauce: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BookItem {
    name: Name,
    category: Label,
    unit_cost: Money,
    per_pizza: Quantity,
    pack: PackSize,
    #[serde(default)]
    also: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Book {
    base: Base,
    sauces: Vec<String>,
    sizes: BTreeMap<String, Quantity>,
    item: Vec<BookItem>,
    #[serde(default)]
    supplier: Vec<SupplierSpec>,
    #[serde(default)]
    supplier_item: Vec<SupplierItemSpec>,
}

/// A pizza type from `pizza_types.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PizzaType {
    /// `hawaiian`.
    pub id: String,
    /// `The Hawaiian Pizza`.
    pub name: String,
    /// `Classic`.
    pub category: String,
    /// As listed.
    pub ingredients: Vec<String>,
}

/// Decodes Windows-1252 (the pizza types file's encoding): ASCII and Latin-1 as they are, the
/// 0x80..0x9F range through its table (only the punctuation the file could hold is mapped).
///
/// # Errors
/// A byte of 0x80..0x9F that is not mapped, with its offset.
pub fn decode_cp1252(bytes: &[u8]) -> anyhow::Result<String> {
    bytes
        .iter()
        .enumerate()
        .map(|(i, &b)| match b {
            0x00..=0x7F | 0xA0..=0xFF => Ok(char::from(b)),
            0x91 => Ok('\u{2018}'),
            0x92 => Ok('\u{2019}'),
            0x93 => Ok('\u{201C}'),
            0x94 => Ok('\u{201D}'),
            0x96 => Ok('\u{2013}'),
            0x97 => Ok('\u{2014}'),
            _ => Err(anyhow::anyhow!(
                "byte 0x{b:02X} at offset {i} is not mapped"
            )),
        })
        .collect()
}

/// The pizza types of `pizza_types.csv`.
///
/// # Errors
/// The line at fault.
pub fn pizza_types() -> anyhow::Result<Vec<PizzaType>> {
    let text = decode_cp1252(PIZZA_TYPES_CSV).context("pizza_types.csv")?;
    let mut r = csv::Reader::from_reader(text.as_bytes());
    r.records()
        .enumerate()
        .map(|(i, rec)| {
            let rec = rec.with_context(|| format!("pizza_types.csv line {}", i + 2))?;
            let cell = |n: usize| rec.get(n).unwrap_or("").trim().to_owned();
            Ok(PizzaType {
                id: cell(0),
                name: cell(1),
                category: cell(2),
                ingredients: cell(3)
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
            })
        })
        .collect()
}

/// The mapping the pizza place's POS files need: the lines name the order and pizza ids and
/// the quantity; the orders file holds each order's date and time.
pub fn mapping() -> SalesMapping {
    SalesMapping {
        ticket: Some("order_id".into()),
        item: Some("pizza_id".into()),
        quantity: Some("quantity".into()),
        tickets_file: Some(TicketsFileMapping {
            ticket: Some("order_id".into()),
            date: Some("date".into()),
            time: Some("time".into()),
        }),
        ..SalesMapping::default()
    }
}

/// What loading the pizza tenant did.
#[derive(Debug, Default, Clone)]
pub struct PizzaReport {
    /// False when it was complete already.
    pub loaded: bool,
    /// The book (zero when it was there already).
    pub book: BookLoaded,
    /// POS names mapped to menu items.
    pub aliases: usize,
    /// The sales import.
    pub sales: ImportReport,
    /// Opening-count movements posted.
    pub openings: usize,
    /// Delivery movements posted.
    pub receipts: usize,
    /// Suppliers, supplier items and prices added (zero when they were there already).
    pub supply: SupplyLoaded,
}

/// Creates the pizza tenant with its book, mapping and sales, then stocks it; finishes what an
/// interrupted run left undone.
///
/// # Errors
/// The use cases' errors; an interrupted book load says to start afresh.
pub async fn load_pizza(
    app: &App,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<PizzaReport> {
    let mut report = PizzaReport::default();
    let owner = app
        .operator_principal(&text(PIZZA_EMAIL)?)
        .await
        .map_err(failed)
        .context("looking up the pizza demo user")?;
    let (p, location) = match owner {
        Some(p) => (p, book_present(app, p).await?),
        None => {
            let (p, location) = crate::demo::create_demo_tenant(
                app,
                RegisterCommand {
                    tenant_name: text(PIZZA_TENANT)?,
                    email: text(PIZZA_EMAIL)?,
                    password: text(PIZZA_PASSWORD)?,
                    name: text("Pizza Manager")?,
                    // "Somewhere in the US" (SOURCE.md).
                    currency: Some("USD".into()),
                    time_zone: Some("America/New_York".into()),
                    day_cutoff_minutes: Some(240),
                },
                PIZZA_LOCATION,
            )
            .await?;
            progress.set_message("pizza book");
            let (book, aliases) = load_book(app, p).await?;
            report.book = book;
            report.aliases = aliases;
            app.save_sales_import_mapping_as_operator(p.tenant_id, &mapping())
                .await
                .map_err(failed)?;
            (p, location)
        }
    };
    progress.set_message("pizza suppliers");
    let book: Book = toml::from_str(BOOK_TOML).context("demo/pizza/book.toml")?;
    report.supply = crate::demo::load_supply(
        app,
        p,
        location,
        &book.supplier,
        &book.supplier_item,
        prices_from(PIZZA_PRICES_FROM)?,
    )
    .await
    .context("loading the pizza place's suppliers")?;
    progress.set_message("pizza sales");
    let lines = crate::sales_import::embedded(ORDER_DETAILS_CSV.as_bytes(), progress.clone());
    let tickets = crate::sales_import::embedded(ORDERS_CSV.as_bytes(), progress.clone());
    let mapping = app
        .saved_sales_import_mapping(p.tenant_id)
        .await
        .map_err(failed)?;
    report.sales = app
        .import_sales_with(
            p.tenant_id,
            location,
            PIZZA_SOURCE,
            ImportRequest {
                lines,
                tickets: Some(tickets),
                mapping,
                mode: ImportMode::AllOrNothing,
                dry_run: false,
            },
        )
        .await
        .map_err(failed)
        .context("importing the pizza place's sales")?;
    if report.sales.aborted {
        anyhow::bail!(
            "the pizza place's sales have {} bad row(s), the first: {:?}",
            report.sales.errors.len(),
            report.sales.errors.first()
        );
    }
    let complete =
        report.sales.tickets_imported == 0 && crate::demo::opening_posted(app, p, location).await?;
    let stock = if complete {
        (0, 0, false)
    } else {
        progress.set_message("pizza stock");
        crate::demo::stock_the_kitchen(app, p, location).await?
    };
    report.openings = stock.0;
    report.receipts = stock.1;
    report.loaded = report.book.items > 0
        || report.supply.any()
        || report.sales.tickets_imported > 0
        || stock.2;
    Ok(report)
}

/// Each pizza item's [`DemoSupply`] (its preferred supplier item at the pizza kitchen), as
/// [`crate::demo::demo_supply`] gives the takeaway's.
///
/// # Errors
/// A supplier, supplier item or price the book names that is not stored; the use cases' errors.
pub async fn pizza_supply(app: &App, p: Principal) -> anyhow::Result<BTreeMap<ItemId, DemoSupply>> {
    let book: Book = toml::from_str(BOOK_TOML).context("demo/pizza/book.toml")?;
    crate::demo::supply_from(
        app,
        p,
        &book.supplier,
        &book.supplier_item,
        prices_from(PIZZA_PRICES_FROM)?,
    )
    .await
}

/// The location of a pizza tenant whose book and aliases are complete.
async fn book_present(app: &App, p: Principal) -> anyhow::Result<LocationId> {
    let interrupted = || {
        anyhow::anyhow!(
            "the pizza demo was interrupted while its recipe book was loading; remove the data directory (or the database) and run larder demo again"
        )
    };
    let location = app
        .find_location(p.tenant_id, PIZZA_LOCATION)
        .await
        .map_err(|_| interrupted())?;
    let pizzas = csv::Reader::from_reader(PIZZAS_CSV.as_bytes())
        .records()
        .count();
    let aliases = app.list_sale_aliases(p).await.map_err(failed)?;
    if aliases.len() < pizzas {
        return Err(interrupted());
    }
    Ok(location)
}

/// The lines of one medium pizza of type `t`: dough, mozzarella, its sauce (tomato unless it
/// lists another) and each listed ingredient (by the book's name or one of its `also`).
fn pizza_lines(
    t: &PizzaType,
    book: &Book,
    items: &HashMap<String, (ItemId, Quantity)>,
) -> anyhow::Result<Vec<RecipeLineCommand>> {
    let find = |name: &str| {
        items
            .get(name)
            .copied()
            .ok_or_else(|| anyhow::anyhow!("pizza '{}': '{name}' is not in the book", t.name))
    };
    let mut names: Vec<&str> = vec![&book.base.dough, &book.base.cheese];
    if !t.ingredients.iter().any(|i| book.sauces.contains(i)) {
        names.push(&book.base.sauce);
    }
    for i in &t.ingredients {
        if !names.contains(&i.as_str()) {
            names.push(i);
        }
    }
    let mut lines: Vec<RecipeLineCommand> = Vec::new();
    for n in names {
        let (id, per) = find(n)?;
        // Two spellings of one item on one pizza count once.
        if lines.iter().any(|l| l.item_id == Some(id)) {
            continue;
        }
        lines.push(RecipeLineCommand {
            item_id: Some(id),
            recipe_id: None,
            quantity: per,
            unit: Unit::G,
        });
    }
    Ok(lines)
}

/// Items, one recipe per pizza type, one menu item per pizza id (with the id as its POS alias).
async fn load_book(app: &App, p: Principal) -> anyhow::Result<(BookLoaded, usize)> {
    let book: Book = toml::from_str(BOOK_TOML).context("demo/pizza/book.toml")?;
    let mut loaded = BookLoaded::default();
    let mut items: HashMap<String, (ItemId, Quantity)> = HashMap::new();
    for spec in &book.item {
        let cmd = ItemCommand {
            name: spec.name.clone(),
            sku: None,
            category: Some(spec.category.clone()),
            base_unit: BaseUnit::G,
            pack_sizes: vec![spec.pack.clone()],
            barcode: None,
            unit_cost: Some(spec.unit_cost),
        };
        let item = app.create_item(p, cmd, None).await.map_err(failed)?.value;
        for n in std::iter::once(spec.name.as_str()).chain(spec.also.iter().map(String::as_str)) {
            items.insert(n.to_owned(), (item.id, spec.per_pizza));
        }
        loaded.items += 1;
    }
    let types = pizza_types()?;
    let mut recipes = HashMap::new();
    for t in &types {
        let context = format!("pizza '{}'", t.name);
        let cmd = RecipeCommand {
            name: text(&t.name)?,
            yield_quantity: Quantity::from_raw(1000),
            yield_unit: BaseUnit::Ea,
            notes: Some(text(&format!(
                "One medium (12-inch) pizza. Listed: {}. Quantities are the demo book's, not the dataset's.",
                t.ingredients.join(", ")
            ))?),
            lines: pizza_lines(t, &book, &items)?,
            effective_from: None,
        };
        let r = app
            .create_recipe(p, cmd, None)
            .await
            .map_err(failed)
            .context(context)?
            .value;
        recipes.insert(t.id.clone(), (r.id, t));
        loaded.recipes += 1;
    }
    let mut aliases = 0;
    let mut r = csv::Reader::from_reader(PIZZAS_CSV.as_bytes());
    for (i, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("pizzas.csv line {}", i + 2))?;
        let cell = |n: usize| rec.get(n).unwrap_or("").trim();
        let (pizza_id, type_id, size) = (cell(0), cell(1), cell(2));
        let (recipe, t) = recipes
            .get(type_id)
            .with_context(|| format!("pizzas.csv line {}: no pizza type '{type_id}'", i + 2))?;
        let portion = *book
            .sizes
            .get(size)
            .with_context(|| format!("pizzas.csv line {}: no size '{size}' in the book", i + 2))?;
        let price = Money::parse(cell(3))
            .map_err(|e| anyhow::anyhow!("pizzas.csv line {}: price {e}", i + 2))?;
        let menu = app
            .create_menu_item(
                p,
                MenuItemCommand {
                    name: text(&format!("{} ({size})", t.name))?,
                    category: Some(text(&t.category)?),
                    recipe_id: Some(*recipe),
                    portion: Some(portion),
                    price: Some(price),
                    effective_from: None,
                },
                None,
            )
            .await
            .map_err(failed)
            .with_context(|| format!("menu item for {pizza_id}"))?
            .value;
        loaded.menu_items += 1;
        app.map_sold_name(
            p,
            SaleAliasCommand {
                name: text(pizza_id)?,
                menu_item_id: menu.id,
            },
        )
        .await
        .map_err(failed)?;
        aliases += 1;
    }
    Ok((loaded, aliases))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pizza_book_buys_every_item_as_exactly_one_supplier_item_priced_at_its_unit_cost() {
        let book: Book = toml::from_str(BOOK_TOML).unwrap();
        let costs: BTreeMap<String, (BaseUnit, Money)> = book
            .item
            .iter()
            .map(|i| (i.name.as_str().to_owned(), (BaseUnit::G, i.unit_cost)))
            .collect();
        let plan = crate::demo::supply_plan(&costs, &book.supplier, &book.supplier_item)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(book.supplier.len(), 2);
        assert_eq!(plan.len(), book.item.len());
        let mut per_item: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &plan {
            *per_item.entry(s.item.as_str()).or_default() += 1;
            let item = book
                .item
                .iter()
                .find(|i| i.name.as_str() == s.item)
                .unwrap();
            // Every pack converts, and is the item's own pack (what par levels count in).
            assert_eq!(s.pack_quantity, item.pack.quantity, "{}", s.sku);
        }
        assert_eq!(per_item.len(), book.item.len());
        assert!(per_item.values().all(|n| *n == 1));
        let dough = plan.iter().find(|s| s.item == "Pizza Dough").unwrap();
        // 40 x 250 g balls at 0.0012 USD/g.
        assert_eq!(
            (
                dough.pack_quantity.to_string(),
                dough.price_per_pack.to_string()
            ),
            ("10000.000".to_string(), "12.00".to_string())
        );
    }

    #[test]
    fn the_pizza_types_decode_from_windows_1252() {
        let types = pizza_types().unwrap();
        assert_eq!(types.len(), 32);
        let nduja = types.iter().find(|t| t.id == "spicy_ital").unwrap();
        assert!(
            types
                .iter()
                .flat_map(|t| &t.ingredients)
                .any(|i| i == "\u{2018}Nduja Salami"),
            "{nduja:?}"
        );
        assert_eq!(
            types[0].ingredients,
            [
                "Barbecued Chicken",
                "Red Peppers",
                "Green Peppers",
                "Tomatoes",
                "Red Onions",
                "Barbecue Sauce"
            ]
        );
    }

    #[test]
    fn every_listed_ingredient_and_size_is_in_the_book() {
        let book: Book = toml::from_str(BOOK_TOML).unwrap();
        let mut items = HashMap::new();
        for spec in &book.item {
            for n in std::iter::once(spec.name.as_str()).chain(spec.also.iter().map(String::as_str))
            {
                items.insert(n.to_owned(), (ItemId::new(), spec.per_pizza));
            }
        }
        for t in pizza_types().unwrap() {
            let lines = pizza_lines(&t, &book, &items).unwrap();
            // Dough, cheese and one sauce at least.
            assert!(lines.len() >= 3, "{}", t.name);
        }
        let mut r = csv::Reader::from_reader(PIZZAS_CSV.as_bytes());
        for rec in r.records() {
            let rec = rec.unwrap();
            assert!(book.sizes.contains_key(&rec[2]), "{}", &rec[2]);
        }
    }

    #[test]
    fn a_pizza_with_its_own_sauce_has_no_tomato_sauce() {
        let book: Book = toml::from_str(BOOK_TOML).unwrap();
        let mut items = HashMap::new();
        let mut names = HashMap::new();
        for spec in &book.item {
            let id = ItemId::new();
            names.insert(id, spec.name.as_str().to_owned());
            items.insert(spec.name.as_str().to_owned(), (id, spec.per_pizza));
        }
        let bbq = pizza_types()
            .unwrap()
            .into_iter()
            .find(|t| t.id == "bbq_ckn")
            .unwrap();
        let lines: Vec<String> = pizza_lines(&bbq, &book, &items)
            .unwrap()
            .iter()
            .filter_map(|l| l.item_id.and_then(|i| names.get(&i).cloned()))
            .collect();
        assert!(lines.contains(&"Barbecue Sauce".to_string()));
        assert!(!lines.contains(&"Tomato Sauce".to_string()));
        assert_eq!(&lines[..2], ["Pizza Dough", "Mozzarella Cheese"]);
    }
}
