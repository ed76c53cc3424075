//! Sales and theoretical depletion: a sale (POS ticket) records what was sold, and each line
//! whose menu item has a recipe takes that recipe's ingredients out of stock through the
//! ledger (kind `sale`), in the same transaction. Lines that map to no recipe are kept and
//! reported by name, never dropped.
//!
//! Usage is summed exactly per ticket and ingredient and rounded once (half to even), so one
//! ticket writes at most one movement per ingredient.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use larder_core::auth::Permission;
use larder_core::inventory::MovementKind;
use larder_core::recipe::{self, Usage};
use larder_core::{ItemId, LocationId, MenuItemId, Money, MovementId, Quantity, SaleId, TenantId};
use larder_store::{MenuItemRow, Mode, MovementRow, SaleLineRow, SaleRow, TenantTx, run_tenant};
use serde::{Deserialize, Serialize};

use crate::idempotency::{IdempotencyKey, Idempotent, run_once};
use crate::menu::Book;
use crate::page::{self, Page};
use crate::{App, AppError, Principal, optional_text, required_text};

/// Maps sold names to menu items and menu items to exact usage per sale.
pub struct Depleter<'b> {
    book: &'b Book,
    by_name: HashMap<String, MenuItemId>,
    usage: HashMap<MenuItemId, Option<Usage>>,
}

/// The key a sold name is matched on: trimmed, lowercased, inner whitespace collapsed.
pub fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A sale ready to write, with the movements it causes.
pub struct PreparedSale {
    /// The sale.
    pub sale: SaleRow,
    /// Its depletion (one movement per ingredient).
    pub movements: Vec<MovementRow>,
    /// Lines whose menu item has a recipe.
    pub lines_depleted: usize,
    /// Names of lines without a recipe, one per line.
    pub unmapped: Vec<String>,
}

impl<'b> Depleter<'b> {
    /// Builds the name index and per-sale usage of every menu item in `book`.
    ///
    /// # Errors
    /// 422 when a menu item's recipe cannot be exploded.
    pub fn new(book: &'b Book) -> Result<Self, AppError> {
        let mut by_name = HashMap::new();
        let mut usage = HashMap::new();
        for m in book.menu_items.values() {
            by_name.insert(name_key(&m.name), m.id);
            let u = match m.recipe_id {
                Some(r) => {
                    let mut per_sale = Usage::new();
                    recipe::accumulate(&mut per_sale, &book.usage(r)?, m.portion).ok_or_else(
                        || {
                            AppError::invalid(
                                "portion",
                                format!("menu item '{}' overflows", m.name),
                            )
                        },
                    )?;
                    Some(per_sale)
                }
                None => None,
            };
            usage.insert(m.id, u);
        }
        Ok(Self {
            book,
            by_name,
            usage,
        })
    }

    /// The menu item sold under `name`, if any.
    pub fn menu_item(&self, name: &str) -> Option<&MenuItemRow> {
        self.by_name
            .get(&name_key(name))
            .and_then(|id| self.book.menu_items.get(id))
    }

    /// Fills in each line's menu item (by name when not given) and computes the depletion.
    ///
    /// # Errors
    /// 422 on arithmetic overflow.
    pub fn prepare(
        &self,
        mut sale: SaleRow,
        recorded_by: Option<larder_core::UserId>,
    ) -> Result<PreparedSale, AppError> {
        let mut total = Usage::new();
        let mut lines_depleted = 0;
        let mut unmapped = Vec::new();
        for line in &mut sale.lines {
            if line.menu_item_id.is_none() {
                line.menu_item_id = self.by_name.get(&name_key(&line.item_name)).copied();
            }
            match line
                .menu_item_id
                .and_then(|m| self.usage.get(&m))
                .and_then(Option::as_ref)
            {
                Some(u) => {
                    recipe::accumulate(&mut total, u, line.quantity)
                        .ok_or_else(|| AppError::invalid("quantity", "depletion overflows"))?;
                    lines_depleted += 1;
                }
                None => unmapped.push(line.item_name.clone()),
            }
        }
        let quantities = recipe::to_quantities(&total)
            .ok_or_else(|| AppError::invalid("quantity", "depletion overflows"))?;
        let movements = quantities
            .into_iter()
            .filter_map(|(item_id, q)| {
                q.checked_neg().map(|neg| MovementRow {
                    id: MovementId::new(),
                    item_id,
                    location_id: sale.location_id,
                    kind: MovementKind::Sale,
                    quantity: neg,
                    unit_cost: self.book_cost(item_id),
                    reason: None,
                    sale_id: Some(sale.id),
                    created_by: recorded_by,
                    occurred_at: sale.occurred_at,
                    recorded_at: sale.recorded_at,
                })
            })
            .collect();
        Ok(PreparedSale {
            sale,
            movements,
            lines_depleted,
            unmapped,
        })
    }

    fn book_cost(&self, item: ItemId) -> Option<Money> {
        self.book.unit_cost(item)
    }
}

impl Book {
    /// An item's current cost per base unit.
    pub fn unit_cost(&self, item: ItemId) -> Option<Money> {
        self.costs_get(item)
    }
}

/// One line of a sale command: a menu item by id, or a name as the POS printed it.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleLineCommand {
    /// The menu item.
    pub menu_item_id: Option<MenuItemId>,
    /// Or the name sold (matched case-insensitively; kept unmapped when nothing matches).
    pub name: Option<String>,
    /// Count sold, positive.
    pub quantity: Quantity,
    /// Price of one (default: the menu item's price, else 0).
    pub unit_price: Option<Money>,
}

/// Post a sale.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleCommand {
    /// Where it was sold.
    pub location_id: LocationId,
    /// When (default now); not more than 5 minutes in the future.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The POS ticket number, unique per tenant for API sales.
    pub external_ref: Option<String>,
    /// 1..=500 lines.
    pub lines: Vec<SaleLineCommand>,
}

/// A depleted ingredient of a sale.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Depletion {
    /// Item.
    pub item_id: ItemId,
    /// Removed from on hand (positive), base unit.
    pub quantity: Quantity,
}

/// A sale line as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SaleLine {
    /// Position.
    pub line_no: i32,
    /// Menu item, when the name mapped.
    pub menu_item_id: Option<MenuItemId>,
    /// Name as sold.
    pub item_name: String,
    /// Count.
    pub quantity: Quantity,
    /// Price of one.
    pub unit_price: Money,
}

/// A sale as shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sale {
    /// Id.
    pub id: SaleId,
    /// Location.
    pub location_id: LocationId,
    /// `api` or `csv`.
    pub source: String,
    /// Ticket number.
    pub external_ref: Option<String>,
    /// When sold.
    pub occurred_at: DateTime<Utc>,
    /// Lines.
    pub lines: Vec<SaleLine>,
    /// Sum of quantity x unit price, rounded half to even.
    pub total: Money,
    /// Names of lines that map to no recipe (recorded, not depleted).
    pub unmapped: Vec<String>,
    /// What the sale took out of stock (present on the answer to a post).
    #[serde(default)]
    pub depletions: Vec<Depletion>,
}

fn sale_view(s: &SaleRow, book: Option<&Depleter<'_>>, movements: &[MovementRow]) -> Sale {
    let billionths: i128 = s
        .lines
        .iter()
        .map(|l| i128::from(l.quantity.raw()) * i128::from(l.unit_price.raw()))
        .sum();
    let total = Money::from_raw(
        i64::try_from(larder_core::decimal::div_round_half_even(billionths, 1000))
            .unwrap_or(i64::MAX),
    );
    let unmapped = s
        .lines
        .iter()
        .filter(|l| match (l.menu_item_id, book) {
            (None, _) => true,
            (Some(m), Some(d)) => d.usage.get(&m).is_none_or(Option::is_none),
            (Some(_), None) => false,
        })
        .map(|l| l.item_name.clone())
        .collect();
    Sale {
        id: s.id,
        location_id: s.location_id,
        source: s.source.clone(),
        external_ref: s.external_ref.clone(),
        occurred_at: s.occurred_at,
        lines: s
            .lines
            .iter()
            .map(|l| SaleLine {
                line_no: l.line_no,
                menu_item_id: l.menu_item_id,
                item_name: l.item_name.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
            })
            .collect(),
        total,
        unmapped,
        depletions: movements
            .iter()
            .map(|m| Depletion {
                item_id: m.item_id,
                quantity: Quantity::from_raw(-m.quantity.raw()),
            })
            .collect(),
    }
}

/// How an import treats bad rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Any bad row: nothing is written.
    AllOrNothing,
    /// Tickets without a bad row are written; every bad row is listed, and its whole ticket
    /// is left out (so fixing the file and importing again brings it in whole).
    SkipBadTickets,
}

/// A row the import refused: its line in the file (the header is line 1), the column at
/// fault, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// Line number in the file.
    pub line: u64,
    /// Column name as in the header (or `row`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// What an import did.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Data rows read.
    pub rows_read: u64,
    /// Distinct tickets in the file.
    pub tickets_in_file: usize,
    /// Tickets written now.
    pub tickets_imported: usize,
    /// Tickets already imported earlier (same source and number), skipped.
    pub tickets_already_imported: usize,
    /// Tickets left out because a row of theirs is bad.
    pub tickets_rejected: usize,
    /// Lines written.
    pub lines_imported: usize,
    /// Of those, lines whose menu item has a recipe (depleted).
    pub lines_depleted: usize,
    /// Lines written without a recipe: name and count, most frequent first.
    pub unmapped: Vec<(String, usize)>,
    /// Stock movements written.
    pub movements: usize,
    /// Every bad row.
    pub errors: Vec<RowError>,
    /// True when nothing was written because of bad rows (all-or-nothing).
    pub aborted: bool,
}

impl ImportReport {
    /// Lines written without a recipe.
    pub fn lines_unmapped(&self) -> usize {
        self.unmapped.iter().map(|(_, n)| n).sum()
    }
}

/// A ticket read from a file.
#[derive(Clone, Debug)]
pub struct ParsedTicket {
    /// Ticket number.
    pub external_ref: String,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Lines (name, quantity, unit price).
    pub lines: Vec<(String, Quantity, Money)>,
    /// File line of each line, for error reports.
    pub file_lines: Vec<u64>,
}

#[derive(Clone, Copy)]
enum Col {
    Ref,
    Date,
    Item,
    Quantity,
    Price,
}

fn column_of(header: &str) -> Option<Col> {
    let h: String = header
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    match h.as_str() {
        "ordernumber" | "orderid" | "ticket" | "ticketnumber" | "externalref" | "receipt" => {
            Some(Col::Ref)
        }
        "orderdate" | "date" | "datetime" | "occurredat" | "time" => Some(Col::Date),
        "itemname" | "item" | "name" | "menuitem" | "product" => Some(Col::Item),
        "quantity" | "qty" => Some(Col::Quantity),
        "productprice" | "unitprice" | "price" => Some(Col::Price),
        _ => None,
    }
}

/// Parses a POS timestamp: RFC 3339, or local `DD/MM/YYYY HH:MM[:SS]` / `YYYY-MM-DD HH:MM[:SS]`
/// in `tz`. A local time that does not exist (the spring-forward hour) is read one hour later;
/// an ambiguous one (the fall-back hour) as the earlier instant.
pub fn parse_pos_time(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let formats = [
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ];
    let naive = formats
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .ok_or_else(|| {
            format!("'{s}' is not a date and time (DD/MM/YYYY HH:MM, YYYY-MM-DD HH:MM or RFC 3339)")
        })?;
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| format!("'{s}' does not exist in {tz}"))
}

/// Reads a POS sales CSV: a header naming at least ticket, date, item, quantity and price
/// columns (the takeaway export's `OrderNumber,OrderDate,ItemName,Quantity,ProductPrice`
/// included; other columns are ignored). Rows are grouped into tickets by number.
///
/// Returns the tickets, every bad row, the data rows read and the file lines of rejected
/// tickets' rows. A ticket with a bad row is not returned.
///
/// # Errors
/// 422 on `header` when a required column is missing or the file is not CSV at all.
pub fn parse_sales_csv(
    input: impl Read,
    tz: Tz,
) -> Result<(Vec<ParsedTicket>, Vec<RowError>, u64, usize), AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| AppError::invalid("header", e.to_string()))?
        .clone();
    let mut cols: [Option<(usize, String)>; 5] = Default::default();
    for (i, h) in headers.iter().enumerate() {
        if let Some(c) = column_of(h) {
            cols[c as usize].get_or_insert((i, h.trim_start_matches('\u{feff}').to_owned()));
        }
    }
    let names = ["ticket number", "date", "item name", "quantity", "price"];
    let missing: Vec<&str> = names
        .iter()
        .zip(&cols)
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "header",
            format!("missing column(s): {}", missing.join(", ")),
        ));
    }
    let col = |c: Col| cols[c as usize].clone().unwrap_or_default();

    let mut tickets: Vec<ParsedTicket> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut bad_tickets: HashMap<String, ()> = HashMap::new();
    let mut errors = Vec::new();
    let mut rows = 0u64;
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                rows += 1;
                errors.push(RowError {
                    line: line.max(2),
                    field: "row".into(),
                    message: e.to_string(),
                });
                continue;
            }
        }
        rows += 1;
        let line = record.position().map_or(line, |p| p.line());
        let get = |c: Col| record.get(col(c).0).unwrap_or("");
        let mut row_errors = Vec::new();
        let mut err = |c: Col, m: String| {
            row_errors.push(RowError {
                line,
                field: col(c).1,
                message: m,
            })
        };
        let ticket = get(Col::Ref).to_owned();
        if ticket.is_empty() {
            err(Col::Ref, "is empty".into());
        }
        let at = parse_pos_time(get(Col::Date), tz)
            .map_err(|m| err(Col::Date, m))
            .ok();
        let name = get(Col::Item).to_owned();
        if name.is_empty() {
            err(Col::Item, "is empty".into());
        } else if name.chars().count() > 200 {
            err(Col::Item, "is longer than 200 characters".into());
        }
        let qty = match Quantity::parse(get(Col::Quantity)) {
            Ok(q) if q.raw() > 0 => Some(q),
            Ok(_) => {
                err(Col::Quantity, "must be positive".into());
                None
            }
            Err(e) => {
                err(Col::Quantity, format!("'{}' {e}", get(Col::Quantity)));
                None
            }
        };
        let price = match Money::parse(get(Col::Price)) {
            Ok(p) if !p.is_negative() => Some(p),
            Ok(_) => {
                err(Col::Price, "must not be negative".into());
                None
            }
            Err(e) => {
                err(Col::Price, format!("'{}' {e}", get(Col::Price)));
                None
            }
        };
        if let (Some(i), Some(at)) = (index.get(&ticket), at)
            && tickets[*i].occurred_at != at
        {
            err(
                Col::Date,
                format!(
                    "ticket {ticket} has another date on line {}",
                    tickets[*i].file_lines[0]
                ),
            );
        }
        if !row_errors.is_empty() {
            errors.extend(row_errors);
            bad_tickets.insert(ticket, ());
            continue;
        }
        let (Some(at), Some(qty), Some(price)) = (at, qty, price) else {
            continue;
        };
        let i = *index.entry(ticket.clone()).or_insert_with(|| {
            tickets.push(ParsedTicket {
                external_ref: ticket.clone(),
                occurred_at: at,
                lines: Vec::new(),
                file_lines: Vec::new(),
            });
            tickets.len() - 1
        });
        tickets[i].lines.push((name, qty, price));
        tickets[i].file_lines.push(line);
    }
    let in_file = index.len()
        + bad_tickets
            .keys()
            .filter(|k| !index.contains_key(*k))
            .count();
    tickets.retain(|t| !bad_tickets.contains_key(&t.external_ref));
    tickets.sort_by(|a, b| (a.occurred_at, &a.external_ref).cmp(&(b.occurred_at, &b.external_ref)));
    errors.sort_by_key(|e| e.line);
    Ok((tickets, errors, rows, in_file))
}

/// Writes prepared sales and their movements: the caller's transaction makes them atomic.
///
/// # Errors
/// Storage errors (409 on `external_ref` for a ticket already stored).
pub async fn write_sales(
    tx: &mut dyn TenantTx,
    prepared: &[PreparedSale],
) -> Result<usize, AppError> {
    let sales: Vec<SaleRow> = prepared.iter().map(|p| p.sale.clone()).collect();
    tx.insert_sales(&sales).await?;
    let movements: Vec<MovementRow> = prepared
        .iter()
        .flat_map(|p| p.movements.iter().cloned())
        .collect();
    tx.append_movements(&movements).await?;
    Ok(movements.len())
}

/// Turns parsed tickets into sale rows for `location` from `source`.
pub fn ticket_sale(
    t: &ParsedTicket,
    location: LocationId,
    source: &str,
    now: DateTime<Utc>,
) -> SaleRow {
    SaleRow {
        id: SaleId::new(),
        location_id: location,
        source: source.to_owned(),
        external_ref: Some(t.external_ref.clone()),
        occurred_at: t.occurred_at,
        recorded_at: now,
        lines: t
            .lines
            .iter()
            .enumerate()
            .map(|(i, (name, q, p))| SaleLineRow {
                line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
                menu_item_id: None,
                item_name: name.clone(),
                quantity: *q,
                unit_price: *p,
            })
            .collect(),
    }
}

/// Adds a prepared sale's counts to a report.
pub fn tally(report: &mut ImportReport, unmapped: &mut BTreeMap<String, usize>, p: &PreparedSale) {
    report.tickets_imported += 1;
    report.lines_imported += p.sale.lines.len();
    report.lines_depleted += p.lines_depleted;
    report.movements += p.movements.len();
    for n in &p.unmapped {
        *unmapped.entry(n.clone()).or_default() += 1;
    }
}

/// Sorts unmapped names most frequent first.
pub fn unmapped_list(unmapped: BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = unmapped.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

impl App {
    /// Records a sale and depletes its recipes' ingredients in one transaction.
    ///
    /// # Errors
    /// 403 without `sales.write`; 422 naming the line and field; 404 on the location; 409 on
    /// `external_ref`.
    #[tracing::instrument(skip_all, err, fields(tenant_id = %p.tenant_id))]
    pub async fn post_sale(
        &self,
        p: Principal,
        cmd: SaleCommand,
        key: Option<IdempotencyKey>,
    ) -> Result<Idempotent<Sale>, AppError> {
        p.require(Permission::SalesWrite)?;
        let now = Utc::now();
        let occurred_at = cmd.occurred_at.unwrap_or(now);
        if occurred_at > now + Duration::minutes(5) {
            return Err(AppError::invalid(
                "occurred_at",
                "must not be in the future",
            ));
        }
        if cmd.lines.is_empty() || cmd.lines.len() > 500 {
            return Err(AppError::invalid("lines", "must have 1 to 500 lines"));
        }
        let external_ref = optional_text("external_ref", cmd.external_ref.as_deref(), 100)?;
        for (i, l) in cmd.lines.iter().enumerate() {
            if l.quantity.raw() <= 0 {
                return Err(AppError::invalid(
                    format!("lines[{i}].quantity"),
                    "must be positive",
                ));
            }
            if l.unit_price.is_some_and(Money::is_negative) {
                return Err(AppError::invalid(
                    format!("lines[{i}].unit_price"),
                    "must not be negative",
                ));
            }
            if l.menu_item_id.is_none() {
                required_text(
                    &format!("lines[{i}].name"),
                    l.name.as_deref().unwrap_or(""),
                    200,
                )?;
            }
        }
        let c = cmd.clone();
        run_once(self.db(), p.tenant_id, key, "post_sale", &cmd, move |tx| {
            Box::pin(async move {
                tx.get_location(c.location_id)
                    .await?
                    .ok_or(AppError::NotFound("location"))?;
                let book = Book::load(tx).await?;
                let depleter = Depleter::new(&book)?;
                let mut lines = Vec::with_capacity(c.lines.len());
                for (i, l) in c.lines.iter().enumerate() {
                    let menu = match l.menu_item_id {
                        Some(id) => Some(book.menu_items.get(&id).ok_or_else(|| {
                            AppError::invalid(
                                format!("lines[{i}].menu_item_id"),
                                "no such menu item",
                            )
                        })?),
                        None => depleter.menu_item(l.name.as_deref().unwrap_or("")),
                    };
                    lines.push(SaleLineRow {
                        line_no: i32::try_from(i + 1).unwrap_or(i32::MAX),
                        menu_item_id: menu.map(|m| m.id),
                        item_name: menu.map_or_else(
                            || l.name.clone().unwrap_or_default().trim().to_owned(),
                            |m| m.name.clone(),
                        ),
                        quantity: l.quantity,
                        unit_price: l
                            .unit_price
                            .or(menu.and_then(|m| m.price))
                            .unwrap_or(Money::ZERO),
                    });
                }
                let sale = SaleRow {
                    id: SaleId::new(),
                    location_id: c.location_id,
                    source: "api".into(),
                    external_ref,
                    occurred_at,
                    recorded_at: now,
                    lines,
                };
                let prepared = depleter.prepare(sale, Some(p.user_id))?;
                write_sales(tx, std::slice::from_ref(&prepared)).await?;
                Ok(sale_view(
                    &prepared.sale,
                    Some(&depleter),
                    &prepared.movements,
                ))
            })
        })
        .await
    }

    /// One sale.
    ///
    /// # Errors
    /// 403 without `sales.read`; 404.
    pub async fn get_sale(&self, p: Principal, id: SaleId) -> Result<Sale, AppError> {
        p.require(Permission::SalesRead)?;
        run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let s = tx.get_sale(id).await?.ok_or(AppError::NotFound("sale"))?;
                let book = Book::load(tx).await?;
                let d = Depleter::new(&book)?;
                Ok(sale_view(&s, Some(&d), &[]))
            })
        })
        .await
    }

    /// Sales, newest first.
    ///
    /// # Errors
    /// 403 without `sales.read`; 422 on `limit` or `cursor`.
    pub async fn list_sales(
        &self,
        p: Principal,
        limit: Option<u32>,
        cursor: Option<String>,
    ) -> Result<Page<Sale>, AppError> {
        p.require(Permission::SalesRead)?;
        let limit = page::limit(limit)?;
        let before = match &cursor {
            Some(c) => {
                let parts = page::decode(c, 2)?;
                let at = DateTime::parse_from_rfc3339(&parts[0])
                    .map_err(|_| AppError::invalid("cursor", "is not a valid cursor"))?;
                Some((at.with_timezone(&Utc), page::id::<SaleId>(&parts[1])?))
            }
            None => None,
        };
        let filter = larder_store::SaleFilter {
            from: None,
            to: None,
            before,
            limit: limit + 1,
        };
        let sales = run_tenant(self.db(), p.tenant_id, Mode::Read, move |tx| {
            Box::pin(async move {
                let rows = tx.list_sales(&filter).await?;
                let book = Book::load(tx).await?;
                let d = Depleter::new(&book)?;
                Ok::<_, AppError>(
                    rows.iter()
                        .map(|s| sale_view(s, Some(&d), &[]))
                        .collect::<Vec<_>>(),
                )
            })
        })
        .await?;
        Ok(page::page(sales, limit, |s: &Sale| {
            page::encode(&[&s.occurred_at.to_rfc3339(), &s.id.to_string()])
        }))
    }

    /// Imports a POS sales CSV into `location` of `tenant` (an operator command: no principal),
    /// depleting stock. Tickets already imported from the same `source` are skipped, so
    /// importing the same file twice writes nothing the second time. Everything that is
    /// written is written in one transaction.
    ///
    /// # Errors
    /// 422 on `header`; 404 on the location or tenant; storage errors.
    #[tracing::instrument(skip_all, err, fields(tenant_id = %tenant))]
    pub async fn import_sales(
        &self,
        tenant: TenantId,
        location: LocationId,
        source: &str,
        input: impl Read,
        mode: ImportMode,
    ) -> Result<ImportReport, AppError> {
        let tz = self.tenant_tz(tenant).await?;
        let (tickets, errors, rows_read, in_file) = parse_sales_csv(input, tz)?;
        let mut report = ImportReport {
            rows_read,
            tickets_in_file: in_file,
            errors,
            ..Default::default()
        };
        report.tickets_rejected = in_file - tickets.len();
        if mode == ImportMode::AllOrNothing && !report.errors.is_empty() {
            report.aborted = true;
            return Ok(report);
        }
        let source = source.to_owned();
        let report = run_tenant(self.db(), tenant, Mode::Write, move |tx| {
            Box::pin(async move {
                tx.get_location(location)
                    .await?
                    .ok_or(AppError::NotFound("location"))?;
                let refs: Vec<String> = tickets.iter().map(|t| t.external_ref.clone()).collect();
                let existing: std::collections::HashSet<String> = tx
                    .existing_sale_refs(&source, &refs)
                    .await?
                    .into_iter()
                    .collect();
                let book = Book::load(tx).await?;
                let depleter = Depleter::new(&book)?;
                let now = Utc::now();
                let mut unmapped = BTreeMap::new();
                let mut prepared = Vec::with_capacity(tickets.len());
                for t in &tickets {
                    if existing.contains(&t.external_ref) {
                        report.tickets_already_imported += 1;
                        continue;
                    }
                    let p = depleter.prepare(ticket_sale(t, location, &source, now), None)?;
                    tally(&mut report, &mut unmapped, &p);
                    prepared.push(p);
                }
                write_sales(tx, &prepared).await?;
                report.unmapped = unmapped_list(unmapped);
                Ok::<_, AppError>(report)
            })
        })
        .await?;
        Ok(report)
    }

    /// The tenant's time zone (business days and POS local times).
    ///
    /// # Errors
    /// 404 when the tenant does not exist; 500 when its zone is not an IANA name.
    pub async fn tenant_tz(&self, tenant: TenantId) -> Result<Tz, AppError> {
        let t = run_tenant(self.db(), tenant, Mode::Read, |tx| {
            Box::pin(async move { tx.get_tenant().await.map_err(AppError::from) })
        })
        .await?
        .ok_or(AppError::NotFound("tenant"))?;
        t.time_zone
            .parse::<Tz>()
            .map_err(|_| AppError::Internal(format!("bad time zone {}", t.time_zone)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "OrderNumber,OrderDate,ItemName,Quantity,ProductPrice,TotalProducts
16118,03/08/2019 20:25,Plain Papadum,2,0.8,6
16118,03/08/2019 20:25,King Prawn Balti,1,12.95,6
16117,03/08/2019 20:17,Plain Naan,x,2.6,7
16116,31/02/2019 20:09,Aloo Chaat,1,4.95,5
16115,03/08/2019 20:01,Chicken Pakora,1,5.9512345,7
16114,03/08/2019 19:00,Keema Naan,1,2.95,1
";

    #[test]
    fn bad_rows_are_reported_by_line_and_column_and_their_tickets_left_out() {
        let tz: Tz = "Europe/London".parse().unwrap_or(Tz::UTC);
        let (tickets, errors, rows, in_file) =
            parse_sales_csv(CSV.as_bytes(), tz).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(rows, 6);
        assert_eq!(in_file, 5);
        assert_eq!(
            errors
                .iter()
                .map(|e| (e.line, e.field.as_str()))
                .collect::<Vec<_>>(),
            vec![(4, "Quantity"), (5, "OrderDate"), (6, "ProductPrice")]
        );
        assert!(
            errors[2].message.contains("more than 6 decimal places"),
            "{}",
            errors[2].message
        );
        // Oldest first; 19:00 BST is 18:00 UTC.
        assert_eq!(
            tickets
                .iter()
                .map(|t| t.external_ref.as_str())
                .collect::<Vec<_>>(),
            vec!["16114", "16118"]
        );
        assert_eq!(
            tickets[0].occurred_at.to_rfc3339(),
            "2019-08-03T18:00:00+00:00"
        );
        assert_eq!(tickets[1].lines.len(), 2);
    }

    #[test]
    fn a_missing_column_is_named() {
        let err =
            parse_sales_csv("OrderNumber,ItemName,Quantity\n1,a,1\n".as_bytes(), Tz::UTC).err();
        assert!(
            matches!(err, Some(AppError::Validation { ref field, ref message }) if field == "header" && message.contains("date") && message.contains("price"))
        );
    }

    #[test]
    fn local_times_across_daylight_saving() {
        let tz: Tz = "Europe/London".parse().unwrap_or(Tz::UTC);
        // 01:30 on 2019-03-31 does not exist in London: read as 02:30 BST = 01:30 UTC.
        assert_eq!(
            parse_pos_time("31/03/2019 01:30", tz).map(|t| t.to_rfc3339()),
            Ok("2019-03-31T01:30:00+00:00".into())
        );
        // 01:30 on 2019-10-27 happens twice: the earlier (BST) instant.
        assert_eq!(
            parse_pos_time("27/10/2019 01:30", tz).map(|t| t.to_rfc3339()),
            Ok("2019-10-27T00:30:00+00:00".into())
        );
    }
}
