//! The demo: a recipe book in plain TOML (items, sub-recipes, one recipe per menu item) loaded
//! through the ordinary use cases, and the real London takeaway's sales replayed in time order
//! with an opening count and weekly goods receipts up to par, so stock on hand stays realistic.
//!
//! Par levels are derived, as the book's header documents: 1.5 x an item's largest weekly
//! theoretical usage, rounded up to whole packs; the reorder point is half that usage.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use larder_core::auth::Role;
use larder_core::inventory::MovementKind;
use larder_core::tenancy::LocationKind;
use larder_core::{
    BaseUnit, ItemId, LocationId, Money, MovementId, Quantity, TenantId, Unit, UserId,
};
use larder_store::{Mode, MovementFilter, MovementRow, PackSize, StockFilter, run_tenant};
use serde::Deserialize;

use crate::auth::{LoginCommand, RegisterCommand};
use crate::catalog::{ItemCommand, LocationCommand, ParLevelCommand};
use crate::menu::{Book, MenuItemCommand, RecipeCommand, RecipeLineCommand};
use crate::sales::{Depleter, PreparedSale, parse_sales_csv, ticket_sale, write_sales};
use crate::{App, AppError, Principal};

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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ItemSpec {
    name: String,
    base_unit: BaseUnit,
    unit_cost: Money,
    category: String,
    pack: PackSize,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RecipeSpec {
    name: String,
    #[serde(rename = "yield")]
    yield_quantity: Quantity,
    yield_unit: BaseUnit,
    notes: Option<String>,
    lines: Vec<(String, Quantity, Unit)>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MenuSpec {
    name: String,
    category: String,
    lines: Vec<(String, Quantity, Unit)>,
}

#[derive(Deserialize, utoipa::ToSchema)]
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
    /// Item ids by name, with their pack sizes.
    pub packs: HashMap<ItemId, Quantity>,
}

/// What the demo loaded.
#[derive(Debug, Default, Clone)]
pub struct DemoReport {
    /// The tenant.
    pub tenant_id: Option<TenantId>,
    /// False when the demo tenant existed already and nothing was loaded.
    pub loaded: bool,
    /// The book.
    pub book: BookLoaded,
    /// Order lines in the file.
    pub lines: u64,
    /// Of those, lines depleted through a recipe.
    pub lines_depleted: usize,
    /// Tickets imported.
    pub tickets: usize,
    /// Sale movements written.
    pub sale_movements: usize,
    /// Goods receipts posted (one movement each).
    pub receipts: usize,
    /// Bad rows in the file.
    pub bad_rows: usize,
}

/// Reads `Item Name,Product Price` (with or without a BOM) into prices by name.
fn price_list(csv_text: &str) -> Result<HashMap<String, Money>, AppError> {
    let mut r = csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
    let mut out = HashMap::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec
            .map_err(|e| AppError::invalid(format!("price list line {}", i + 2), e.to_string()))?;
        let name = rec.get(0).unwrap_or("").trim().to_owned();
        let price = Money::parse(rec.get(1).unwrap_or(""))
            .map_err(|e| AppError::invalid(format!("price list line {}", i + 2), e.to_string()))?;
        out.insert(crate::sales::name_key(&name), price);
    }
    Ok(out)
}

fn line_commands(
    context: &str,
    lines: &[(String, Quantity, Unit)],
    items: &HashMap<String, ItemId>,
    recipes: &HashMap<String, larder_core::RecipeId>,
) -> Result<Vec<RecipeLineCommand>, AppError> {
    lines
        .iter()
        .map(|(name, quantity, unit)| {
            let (item_id, recipe_id) = match (items.get(name), recipes.get(name)) {
                (Some(i), None) => (Some(*i), None),
                (None, Some(r)) => (None, Some(*r)),
                (Some(_), Some(_)) => {
                    return Err(AppError::invalid(
                        context,
                        format!("'{name}' is both an item and a recipe"),
                    ));
                }
                (None, None) => {
                    return Err(AppError::invalid(
                        context,
                        format!("'{name}' is neither an item nor an earlier recipe"),
                    ));
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

impl App {
    /// Loads a recipe book (TOML, as `demo/takeaway/recipes.toml`) into the principal's
    /// tenant: items, recipes in file order (a recipe may use only items and earlier
    /// recipes), and one recipe and menu item per `[[menu_item]]`, priced from `prices_csv`.
    ///
    /// # Errors
    /// 422 naming the entry at fault; the use cases' own errors.
    pub async fn load_recipe_book(
        &self,
        p: Principal,
        book_toml: &str,
        prices_csv: &str,
    ) -> Result<BookLoaded, AppError> {
        let book: BookFile = toml::from_str(book_toml)
            .map_err(|e| AppError::invalid("recipe book", e.to_string()))?;
        let prices = price_list(prices_csv)?;
        let mut loaded = BookLoaded::default();
        let mut items = HashMap::new();
        for spec in book.item {
            let cmd = ItemCommand {
                name: spec.name.clone(),
                sku: None,
                category: Some(spec.category),
                base_unit: spec.base_unit,
                pack_sizes: vec![spec.pack.clone()],
                barcode: None,
                unit_cost: Some(spec.unit_cost),
            };
            let item = self.create_item(p, cmd, None).await?.value;
            loaded.packs.insert(item.id, spec.pack.quantity);
            items.insert(spec.name, item.id);
            loaded.items += 1;
        }
        let mut recipes = HashMap::new();
        for spec in book.recipe {
            let lines = line_commands(
                &format!("recipe '{}'", spec.name),
                &spec.lines,
                &items,
                &recipes,
            )?;
            let cmd = RecipeCommand {
                name: spec.name.clone(),
                yield_quantity: spec.yield_quantity,
                yield_unit: spec.yield_unit,
                notes: spec.notes,
                lines,
            };
            let r = self.create_recipe(p, cmd, None).await?.value;
            recipes.insert(spec.name, r.id);
            loaded.recipes += 1;
        }
        for spec in book.menu_item {
            let lines = line_commands(
                &format!("menu item '{}'", spec.name),
                &spec.lines,
                &items,
                &recipes,
            )?;
            let cmd = RecipeCommand {
                name: spec.name.clone(),
                yield_quantity: Quantity::from_raw(1000),
                yield_unit: BaseUnit::Ea,
                notes: Some(format!("One portion of {} as sold.", spec.name)),
                lines,
            };
            let r = self.create_recipe(p, cmd, None).await?.value;
            loaded.recipes += 1;
            let menu = MenuItemCommand {
                name: spec.name.clone(),
                category: Some(spec.category),
                recipe_id: Some(r.id),
                portion: None,
                price: prices.get(&crate::sales::name_key(&spec.name)).copied(),
            };
            self.create_menu_item(p, menu, None).await?;
            loaded.menu_items += 1;
        }
        Ok(loaded)
    }

    /// Creates the demo tenant and loads the book and every real sale, with an opening count
    /// and weekly receipts up to par. When the demo user can already log in, loads nothing.
    ///
    /// # Errors
    /// The use cases' errors.
    pub async fn load_demo(
        &self,
        orders_csv: &str,
        book_toml: &str,
        prices_csv: &str,
    ) -> Result<DemoReport, AppError> {
        let login = LoginCommand {
            email: DEMO_EMAIL.into(),
            password: DEMO_PASSWORD.into(),
            tenant: None,
        };
        if let Ok(pair) = self.login(login).await {
            // Present already: finish a load that was interrupted (killed, crashed) during the
            // sales replay; each week is one transaction, so none is half there.
            let p = self.authenticate(&pair.access_token)?;
            return self.resume_demo(p, orders_csv, book_toml).await;
        }
        let reg = self
            .register(RegisterCommand {
                tenant_name: DEMO_TENANT.into(),
                email: DEMO_EMAIL.into(),
                password: DEMO_PASSWORD.into(),
                name: "Demo Manager".into(),
            })
            .await?;
        let p = Principal {
            tenant_id: reg.tenant_id,
            user_id: reg.user_id,
            role: Role::Owner,
        };
        let location = self
            .create_location(
                p,
                LocationCommand {
                    name: DEMO_LOCATION.into(),
                    kind: LocationKind::Outlet,
                },
                None,
            )
            .await?
            .value
            .id;
        let book = self.load_recipe_book(p, book_toml, prices_csv).await?;
        let mut report = self
            .replay_sales(p, location, orders_csv, &book.packs)
            .await?;
        report.tenant_id = Some(reg.tenant_id);
        report.loaded = true;
        report.book = book;
        Ok(report)
    }

    async fn resume_demo(
        &self,
        p: Principal,
        orders_csv: &str,
        book_toml: &str,
    ) -> Result<DemoReport, AppError> {
        let interrupted = || {
            AppError::conflict(
                "demo",
                "the demo was interrupted while its recipe book was loading; remove the data directory (or the database) and run larder demo again",
            )
        };
        let book: BookFile = toml::from_str(book_toml)
            .map_err(|e| AppError::invalid("recipe book", e.to_string()))?;
        let location = self
            .find_location(p.tenant_id, DEMO_LOCATION)
            .await
            .map_err(|_| interrupted())?;
        let menu = self
            .list_menu_items(p, Some(crate::page::MAX_LIMIT), None)
            .await?;
        if menu.data.len() < book.menu_item.len() {
            return Err(interrupted());
        }
        let items = self
            .list_items(
                p,
                crate::catalog::ItemQuery {
                    limit: Some(crate::page::MAX_LIMIT),
                    ..Default::default()
                },
            )
            .await?;
        let packs: HashMap<ItemId, Quantity> = items
            .data
            .iter()
            .filter_map(|i| i.pack_sizes.first().map(|pk| (i.id, pk.quantity)))
            .collect();
        let mut report = self.replay_sales(p, location, orders_csv, &packs).await?;
        report.tenant_id = Some(p.tenant_id);
        report.loaded = report.tickets > 0;
        Ok(report)
    }

    async fn replay_sales(
        &self,
        p: Principal,
        location: LocationId,
        orders_csv: &str,
        packs: &HashMap<ItemId, Quantity>,
    ) -> Result<DemoReport, AppError> {
        let tz = self.tenant_tz(p.tenant_id).await?;
        let (tickets, errors, rows, _) = parse_sales_csv(orders_csv.as_bytes(), tz)?;
        let mut report = DemoReport {
            lines: rows,
            bad_rows: errors.len(),
            ..Default::default()
        };
        let book = run_tenant(self.db(), p.tenant_id, Mode::Read, |tx| {
            Box::pin(async move { Book::load(tx).await })
        })
        .await?;
        let depleter = Depleter::new(&book)?;
        let now = Utc::now();
        let mut weeks: BTreeMap<DateTime<Utc>, Vec<PreparedSale>> = BTreeMap::new();
        for t in &tickets {
            let prepared =
                depleter.prepare(ticket_sale(t, location, DEMO_SALES_SOURCE, now), None)?;
            weeks
                .entry(receipt_time(t.occurred_at))
                .or_default()
                .push(prepared);
        }
        let pars = derive_par_levels(&weeks, packs);
        for (item, (par, reorder)) in &pars {
            self.set_par_level(
                p,
                *item,
                location,
                ParLevelCommand {
                    par_level: Some(*par),
                    reorder_point: Some(*reorder),
                },
            )
            .await?;
        }
        let Some(first) = weeks.keys().next().copied() else {
            return Ok(report);
        };
        let opening: Vec<MovementRow> = pars
            .iter()
            .map(|(item, (par, _))| {
                movement(
                    *item,
                    location,
                    MovementKind::Opening,
                    *par,
                    book.unit_cost(*item),
                    first - Duration::days(1),
                    p.user_id,
                )
            })
            .collect();
        run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
            Box::pin(async move {
                let filter = MovementFilter {
                    location_id: Some(location),
                    kind: Some(MovementKind::Opening),
                    limit: 1,
                    ..Default::default()
                };
                if tx.list_movements(&filter).await?.is_empty() {
                    tx.append_movements(&opening).await?;
                }
                Ok::<_, AppError>(())
            })
        })
        .await?;
        for (monday, sales) in weeks {
            let refs: Vec<String> = sales
                .iter()
                .filter_map(|s| s.sale.external_ref.clone())
                .collect();
            let (tickets, lines, movements) = (
                sales.len(),
                sales.iter().map(|s| s.lines_depleted).sum::<usize>(),
                sales.iter().map(|s| s.movements.len()).sum::<usize>(),
            );
            let pars = pars.clone();
            let packs = packs.clone();
            let costs: HashMap<ItemId, Option<Money>> =
                pars.keys().map(|i| (*i, book.unit_cost(*i))).collect();
            let user = p.user_id;
            let written = run_tenant(self.db(), p.tenant_id, Mode::Write, move |tx| {
                Box::pin(async move {
                    // A week is one transaction: its tickets are all there or none is.
                    if !tx
                        .existing_sale_refs(DEMO_SALES_SOURCE, &refs)
                        .await?
                        .is_empty()
                    {
                        return Ok::<_, AppError>(None);
                    }
                    let levels = tx
                        .list_stock(&StockFilter {
                            location_id: Some(location),
                            limit: 10_000,
                            ..Default::default()
                        })
                        .await?;
                    let on_hand: HashMap<ItemId, Quantity> =
                        levels.into_iter().map(|l| (l.item_id, l.on_hand)).collect();
                    let receipts: Vec<MovementRow> = pars
                        .iter()
                        .filter_map(|(item, (par, _))| {
                            let have = on_hand.get(item).copied().unwrap_or_default();
                            let short = par.raw() - have.raw();
                            let pack = packs.get(item).map_or(1000, |q| q.raw().max(1));
                            (short > 0).then(|| {
                                let qty = Quantity::from_raw(
                                    short.div_euclid(pack) * pack
                                        + if short % pack == 0 { 0 } else { pack },
                                );
                                movement(
                                    *item,
                                    location,
                                    MovementKind::Receipt,
                                    qty,
                                    costs.get(item).copied().flatten(),
                                    monday,
                                    user,
                                )
                            })
                        })
                        .collect();
                    tx.append_movements(&receipts).await?;
                    write_sales(tx, &sales).await?;
                    Ok(Some(receipts.len()))
                })
            })
            .await?;
            if let Some(receipts) = written {
                report.receipts += receipts;
                report.tickets += tickets;
                report.lines_depleted += lines;
                report.sale_movements += movements;
            }
        }
        Ok(report)
    }
}

fn movement(
    item: ItemId,
    location: LocationId,
    kind: MovementKind,
    quantity: Quantity,
    unit_cost: Option<Money>,
    at: DateTime<Utc>,
    user: UserId,
) -> MovementRow {
    MovementRow {
        id: MovementId::new(),
        item_id: item,
        location_id: location,
        kind,
        quantity,
        unit_cost,
        reason: (kind == MovementKind::Receipt)
            .then(|| "weekly delivery up to par (demo)".to_owned()),
        sale_id: None,
        created_by: Some(user),
        occurred_at: at,
        recorded_at: Utc::now(),
    }
}

/// The Monday 06:00 UTC delivery that precedes `t`.
fn receipt_time(t: DateTime<Utc>) -> DateTime<Utc> {
    let d = t.date_naive();
    let monday = d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    let at = monday
        .and_time(NaiveTime::from_hms_opt(6, 0, 0).unwrap_or_default())
        .and_utc();
    if at > t { at - Duration::days(7) } else { at }
}

/// Par level 1.5 x the largest weekly usage, rounded up to whole packs; reorder point half that
/// usage, rounded down to the thousandth (integer halving of thousandths).
fn derive_par_levels(
    weeks: &BTreeMap<DateTime<Utc>, Vec<PreparedSale>>,
    packs: &HashMap<ItemId, Quantity>,
) -> BTreeMap<ItemId, (Quantity, Quantity)> {
    let mut max_week: HashMap<ItemId, i64> = HashMap::new();
    for sales in weeks.values() {
        let mut week: HashMap<ItemId, i64> = HashMap::new();
        for m in sales.iter().flat_map(|s| &s.movements) {
            *week.entry(m.item_id).or_default() -= m.quantity.raw();
        }
        for (item, used) in week {
            let e = max_week.entry(item).or_default();
            *e = (*e).max(used);
        }
    }
    max_week
        .into_iter()
        .map(|(item, used)| {
            let pack = packs.get(&item).map_or(1000, |q| q.raw().max(1));
            let target = used.saturating_mul(3) / 2;
            let par = (target + pack - 1).div_euclid(pack) * pack;
            (
                item,
                (
                    Quantity::from_raw(par.max(pack)),
                    Quantity::from_raw(used / 2),
                ),
            )
        })
        .collect()
}
